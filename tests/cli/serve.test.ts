import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { developmentAccount } from "@openbatch/server";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";

const main = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

const children = new Set<ChildProcess>();

/** Starts `openbatch serve` and resolves with its URL once it prints its banner. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [main, "serve", "--port", "0", "--log-level", "warn", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /listening on (http:\/\/\S+)\n[\s\S]*Data directory: /.exec(output);
      if (match !== null) resolve(match[1] as string);
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

async function stop(running: Running, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(running.child, "exit");
  running.child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

describe("openbatch serve", () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "openbatch-serve-"));
  });
  after(() => {
    // A failed assertion must not leave a server running (it would keep the test process alive).
    for (const child of children) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints its endpoint and account, answers /healthz, and stops cleanly on SIGTERM", async () => {
    const running = await serve(["--data-dir", dataDir]);
    assert.match(running.output(), new RegExp(`Accounts: ${developmentAccount.name}`));
    assert.ok(running.url.startsWith("http://127.0.0.1:"));
    assert.equal((await fetch(`${running.url}/healthz`)).status, 200);
    const account = { name: developmentAccount.name, key: developmentAccount.key };
    const created = await batchRequest(running.url, {
      method: "POST",
      path: `/pools?api-version=${apiVersion}`,
      account,
      body: { id: "survivor", vmSize: "standard_d2s_v3", virtualMachineConfiguration: ubuntuVm, targetDedicatedNodes: 0 },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(await stop(running, "SIGTERM"), 0);
    assert.match(running.output(), /SIGTERM received, shutting down/);

    const restarted = await serve(["--data-dir", dataDir]);
    try {
      const fetched = await batchRequest(restarted.url, { path: `/pools/survivor?api-version=${apiVersion}`, account });
      assert.equal(fetched.status, 200);
      assert.equal(fetched.json.id, "survivor");
      assert.equal(fetched.headers.get("etag"), created.headers.get("etag"));
    } finally {
      assert.equal(await stop(restarted, "SIGINT"), 0);
    }
  });

  it("serves configured accounts from --account and OPENBATCH_ACCOUNTS, and not the development account", async () => {
    const key = Buffer.from("configured-account-key-0123456789").toString("base64");
    const other = Buffer.from("environment-account-key-012345678").toString("base64");
    const running = await serve(["--data-dir", dataDir, "--account", `myacct:${key}`], { OPENBATCH_ACCOUNTS: `envacct:${other}` });
    try {
      assert.equal((await batchRequest(running.url, { path: `/applications?api-version=${apiVersion}`, account: { name: "myacct", key } })).status, 200);
      const dev = await batchRequest(running.url, { path: `/applications?api-version=${apiVersion}`, account: { name: developmentAccount.name, key: developmentAccount.key } });
      assert.equal(dev.status, 403);
    } finally {
      await stop(running, "SIGTERM");
    }
  });

  it("refuses to expose the development account on a non-loopback address", async () => {
    const child = spawn(process.execPath, [main, "serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 1);
    assert.match(stderr, /Refusing to serve the public development account/);
  });

  it("refuses a malformed --account", async () => {
    const child = spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, "--account", "Bad Name:xyz"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 1);
    assert.match(stderr, /Account name 'Bad Name'/);
  });
});
