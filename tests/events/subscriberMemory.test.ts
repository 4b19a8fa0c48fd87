/**
 * What idle event-stream subscribers cost: `openbatch serve` runs in its own process (so the test's clients do not
 * count), 100 signed SSE connections are opened and held, and the server's resident memory is read from
 * /proc/<pid>/status before and after. The figure is printed; the bound is 50 MB for 100.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request, type ClientRequest, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, signPythonStyle } from "../support/batchRequest.js";
import { testAccounts } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const main = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;
const account = testAccounts.alpha;

function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(match !== null);
  return Number(match[1]) * 1024;
}

/** Opens a signed event stream and resolves once its `ready` event arrived. */
function subscribe(url: string): Promise<{ request: ClientRequest; response: IncomingMessage }> {
  const target = new URL(`${url}/_events?api-version=${apiVersion}`);
  const headers: Record<string, string> = { "ocp-date": new Date().toUTCString(), accept: "text/event-stream" };
  headers["authorization"] = `SharedKey ${account.name}:${signPythonStyle("GET", target, headers, account)}`;
  return new Promise((resolve, reject) => {
    const outgoing = request(target, { headers, agent: false }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`status ${response.statusCode}`));
      let text = "";
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("event: ready")) {
          response.off("data", onData);
          response.resume();
          resolve({ request: outgoing, response });
        }
      };
      response.on("data", onData);
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe("idle event-stream subscribers", () => {
  let child: ChildProcess;
  let url: string;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "openbatch-subscribers-"));
    child = spawn(process.execPath, [main, "serve", "--port", "0", "--log-level", "warn", "--data-dir", dataDir, "--account", `${account.name}:${account.key}`], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match !== null) resolve(match[1] as string);
      });
      child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
    });
  });

  after(() => {
    child?.kill("SIGKILL");
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it("100 of them cost less than 50 MB of the server's memory", async (t) => {
    const pid = child.pid as number;
    // Warm up: one subscriber and a few requests, so lazily loaded code is not counted as the subscribers' cost.
    const warm = await subscribe(url);
    warm.request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = residentBytes(pid);
    const subscribers = await Promise.all(Array.from({ length: 100 }, () => subscribe(url)));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^openbatch_event_subscribers 100$/m);
    const afterOpening = residentBytes(pid);
    const cost = afterOpening - before;
    t.diagnostic(`server RSS ${(before / 2 ** 20).toFixed(1)} MB → ${(afterOpening / 2 ** 20).toFixed(1)} MB with 100 idle subscribers: ${(cost / 2 ** 20).toFixed(2)} MB (${(cost / 100 / 1024).toFixed(1)} KiB each)`);
    assert.ok(cost < 50 * 2 ** 20, `100 subscribers cost ${(cost / 2 ** 20).toFixed(1)} MB`);
    for (const subscriber of subscribers) subscriber.request.destroy();
    await waitFor("the subscribers to be gone", async () => /^openbatch_event_subscribers 0$/m.test(await (await fetch(`${url}/metrics`)).text()));
  });
});
