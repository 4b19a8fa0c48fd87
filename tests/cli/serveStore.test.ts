/**
 * `openbatch serve --store`: PostgreSQL chosen by flag or by OPENBATCH_STORE_URL, its data kept across a restart
 * with another data directory, the password kept out of the banner; a bad location refused with a clear message.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { developmentAccount } from "@openbatch/server";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { sharedPostgresCluster, type PostgresCluster } from "../support/postgresCluster.js";
import { ubuntuVm } from "../support/pools.js";

const main = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;
const account = { name: developmentAccount.name, key: developmentAccount.key };

describe("openbatch serve --store", () => {
  let cluster: PostgresCluster;
  let database: string;
  const directories: string[] = [];
  const children = new Set<ChildProcess>();
  before(async () => {
    cluster = await sharedPostgresCluster();
    database = await cluster.createDatabase();
  });
  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    await cluster.dropDatabase(database);
  });

  async function serve(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; output: () => string }> {
    const dataDir = mkdtempSync(join(tmpdir(), "openbatch-serve-store-"));
    directories.push(dataDir);
    const child = spawn(process.execPath, [main, "serve", "--port", "0", "--log-level", "warn", "--data-dir", dataDir, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    child.once("exit", () => children.delete(child));
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", () => {
        const match = /listening on (http:\/\/\S+)\n[\s\S]*Store: .*\n/.exec(output);
        if (match !== null) resolve(match[1] as string);
      });
      child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
    });
    return { child, url, output: () => output };
  }

  async function stop(child: ChildProcess): Promise<number | null> {
    const closed = once(child, "close");
    child.kill("SIGTERM");
    return ((await closed) as [number | null])[0];
  }

  it("stores in PostgreSQL given by --store, and a server on another data directory finds the data there", async () => {
    const first = await serve(["--store", database]);
    assert.match(first.output(), /Store: postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/openbatch_/);
    assert.doesNotMatch(first.output(), new RegExp(new URL(database).password), "the password is not printed");
    const created = await batchRequest(first.url, {
      method: "POST",
      path: `/pools?api-version=${apiVersion}`,
      account,
      body: { id: "in-postgres", vmSize: "standard_d2s_v3", virtualMachineConfiguration: ubuntuVm, targetDedicatedNodes: 0 },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(await stop(first.child), 0);

    const second = await serve([], { OPENBATCH_STORE_URL: database });
    try {
      const fetched = await batchRequest(second.url, { path: `/pools/in-postgres?api-version=${apiVersion}`, account });
      assert.equal(fetched.status, 200, fetched.text);
      assert.equal(fetched.headers.get("etag"), created.headers.get("etag"));
    } finally {
      assert.equal(await stop(second.child), 0);
    }
  });

  it("refuses a store location it does not know, and an unreachable database, with a message and exit code 1", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "openbatch-serve-store-"));
    directories.push(dataDir);
    const bogus = spawnSync(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, "--store", "mysql://somewhere/db"], { encoding: "utf8" });
    assert.equal(bogus.status, 1);
    assert.match(bogus.stderr, /'mysql:\/\/somewhere\/db' is not a store location: use sqlite:<file> or postgres:\/\//);
    const down = spawnSync(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, "--store", "postgres://nobody:secret@127.0.0.1:1/none"], { encoding: "utf8" });
    assert.equal(down.status, 1);
    assert.match(down.stderr, /The database is unavailable/);
    assert.doesNotMatch(down.stderr, /secret/);
  });
});
