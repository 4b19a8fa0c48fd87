/**
 * HTTPS: a server with `tls` serves the Batch API and the agent protocol over TLS. Agents on other machines verify
 * it with the CA they are given (`--ca-file`) and refuse it without; agents of the local provider trust exactly the
 * server's certificate; the official Python SDK talks to it with the CA bundle. And `serve` refuses half a TLS
 * configuration.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { after, before, describe, it } from "node:test";
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from "undici";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { addExternalPool, cliMain, createJoinToken, killRemoteAgents, startRemoteAgent } from "../support/remoteAgents.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { makeTlsFixture, type TlsFixture } from "../support/tlsFixtures.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("TLS", () => {
  let server: TestServer;
  let tls: TlsFixture;
  let previous: Dispatcher;
  const work = mkdtempSync(join(tmpdir(), "openbatch-tls-agents-"));
  const request = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });

  before(async () => {
    tls = makeTlsFixture(["127.0.0.1"]);
    // This test's own requests (global fetch) trust the test CA, as a client given the CA bundle would.
    previous = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, readFileSync(tls.caFile, "utf8")] } }));
    server = await startTestServer({ tls: { certFile: tls.certFile, keyFile: tls.keyFile }, agentHeartbeatIntervalInSeconds: 2 });
  });
  after(async () => {
    await killRemoteAgents();
    await server.dispose();
    setGlobalDispatcher(previous);
    tls.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it("serves HTTPS, and the local provider's agents trust the server's own certificate", async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const plain = await fetch(server.url.replace("https:", "http:") + "/healthz").then(() => "answered", () => "refused");
    assert.equal(plain, "refused", "no plain HTTP on the TLS port");
    const added = await request("POST", "/pools", {
      id: "localtls", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm,
      startTask: { commandLine: "/bin/echo local over tls" },
    });
    assert.equal(added.status, 201, added.text);
    const [node] = await waitFor("an idle local node", async () => {
      const nodes = (await request("GET", "/pools/localtls/nodes")).json.value;
      return nodes.length === 1 && nodes[0].state === "idle" ? nodes : undefined;
    }, 60_000);
    const output = await request("GET", `/pools/localtls/nodes/${node.id}/files/${encodeURIComponent("startup/stdout.txt")}`);
    assert.equal(output.text, "local over tls\n");
  });

  it("lets an agent with the CA join over HTTPS and refuses one without it", async () => {
    await addExternalPool(server.url, account, "remotetls", 1, { startTask: { commandLine: "/bin/echo remote over tls" } });
    const token = await createJoinToken(server.url, account, "remotetls");

    const untrusting = startRemoteAgent({ serverUrl: server.url, workDir: join(work, "untrusting"), joinToken: token.token });
    assert.equal(await untrusting.exited, 1, "a certificate it cannot verify stops it at once");
    assert.match(untrusting.log(), /TLS certificate cannot be verified.*--ca-file/);

    const trusting = startRemoteAgent({ serverUrl: server.url, workDir: join(work, "trusting"), joinToken: token.token, caFile: tls.caFile });
    const [node] = await waitFor("an idle remote node", async () => {
      const nodes = (await request("GET", "/pools/remotetls/nodes")).json.value;
      return nodes.length === 1 && nodes[0].state === "idle" ? nodes : undefined;
    }, 60_000);
    const output = await request("GET", `/pools/remotetls/nodes/${node.id}/files/${encodeURIComponent("startup/stdout.txt")}`);
    assert.equal(output.text, "remote over tls\n");
    assert.match(trusting.log(), /"server":"https:\/\/127\.0\.0\.1:/);
  });

  it("serves the official Python SDK over HTTPS with the CA bundle", async () => {
    const script = `
import sys
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials
client = BatchServiceClient(SharedKeyCredentials(sys.argv[2], sys.argv[3]), batch_url=sys.argv[1])
print(sorted(pool.id for pool in client.pool.list()))
`;
    // Not spawnSync: the server runs in this process and must answer meanwhile.
    const { stdout } = await promisify(execFile)("/usr/bin/python3", ["-c", script, server.url, account.name, account.key], { env: { ...process.env, REQUESTS_CA_BUNDLE: tls.caFile }, timeout: 60_000 });
    assert.equal(stdout.trim(), "['localtls', 'remotetls']");
  });

  it("refuses half a TLS configuration at serve", () => {
    const result = spawnSync(process.execPath, [cliMain, "serve", "--port", "0", "--data-dir", join(work, "half"), "--tls-cert", tls.certFile], { encoding: "utf8", timeout: 30_000 });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /--tls-cert and --tls-key go together/);
  });
});
