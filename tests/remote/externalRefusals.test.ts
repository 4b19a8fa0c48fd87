/**
 * What the server refuses around external pools, with a clear message and nothing registered: join tokens that are
 * malformed, signed with another key, expired, revoked or of a deleted pool; tokens for pools agents cannot join;
 * an agent reporting a node of another pool or of another agent. And a pool missing joiners: `resizing` until its
 * `resizeTimeout`, then Azure's `AllocationTimedOut`, while a late joiner is still welcome.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { agentProtocolVersion } from "@openbatch/protocol";
import { apiVersion, batchRequest, readResponse } from "../support/batchRequest.js";
import { addExternalPool, adminRequest, createJoinToken, killRemoteAgents, startRemoteAgent } from "../support/remoteAgents.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("external pools: refusals", () => {
  let server: TestServer;
  let now = new Date();
  const work = mkdtempSync(join(tmpdir(), "openbatch-refusals-"));
  const request = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, date: now, ...(body === undefined ? {} : { body }) });
  const nodesOf = async (poolId: string) => (await request("GET", `/pools/${poolId}/nodes`)).json.value as { id: string; state: string }[];
  const join_ = async (token: string, nodes = 1) =>
    readResponse(
      await fetch(`${server.url}/_agent/v1/join`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ protocolVersion: agentProtocolVersion, nodes, hostname: "elsewhere", agentVersion: "test" }),
      }),
    );
  const sync = async (agent: { agentId: string; token: string }, nodeIds: string[]) =>
    readResponse(
      await fetch(`${server.url}/_agent/v1/sync`, {
        method: "POST",
        headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
        body: JSON.stringify({
          protocolVersion: agentProtocolVersion,
          agentId: agent.agentId,
          bootId: "b",
          fileServerUrl: "http://127.0.0.1:1",
          nodes: nodeIds.map((nodeId) => ({ nodeId, generation: 1, phase: "ready", rootDirectory: "/nowhere" })),
          host: { hostname: "elsewhere", ipAddress: "10.0.0.9", agentVersion: "test" },
        }),
      }),
    );

  before(async () => {
    // No local agents, and the clock is ours: nodes of joined agents stay `creating` (nobody syncs for them).
    server = await startTestServer({ localAgentEntry: undefined, clock: { now: () => now } });
  });
  after(async () => {
    await killRemoteAgents();
    await server.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it("refuses a wrong, foreign-keyed, expired, revoked or orphaned join token, registering nothing", async () => {
    await addExternalPool(server.url, account, "pa", 2);
    const good = await createJoinToken(server.url, account, "pa", 60);

    const malformed = await join_("objoin1.not-a-token");
    assert.equal(malformed.status, 401);
    assert.equal(malformed.json.code, "JoinTokenInvalid");
    assert.match(malformed.json.message, /not valid/);
    const [head, payload] = good.token.split(".");
    const forged = await join_(`${head}.${payload}.${Buffer.from("x".repeat(32)).toString("base64url")}`);
    assert.equal(forged.status, 401, "a MAC not made with the account's key");
    assert.equal((await join_("")).status, 401);
    const withoutScheme = await fetch(`${server.url}/_agent/v1/join`, { method: "POST", body: "{}" });
    assert.equal(withoutScheme.status, 401);

    // The token's pool is alpha's; the same payload signed with beta's key is a forgery too.
    const { createHmac } = await import("node:crypto");
    const betaMac = createHmac("sha256", Buffer.from(testAccounts.beta.key, "base64")).update(`${head}.${payload}`).digest("base64url");
    assert.equal((await join_(`${head}.${payload}.${betaMac}`)).status, 401);

    now = new Date(now.getTime() + 61_000);
    const expired = await join_(good.token);
    assert.equal(expired.status, 401);
    assert.equal(expired.json.code, "JoinTokenExpired");
    assert.match(expired.json.message, /expired at/);
    assert.doesNotMatch(expired.json.message, new RegExp(payload as string), "the message never quotes the token");

    const revocable = await createJoinToken(server.url, account, "pa");
    const revoked = await adminRequest(server.url, account, "DELETE", `/_admin/v1/pools/pa/join-tokens/${revocable.id}`);
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.json.revoked, true);
    const refused = await join_(revocable.token);
    assert.equal(refused.status, 403);
    assert.equal(refused.json.code, "JoinTokenRevoked");
    assert.match(refused.json.message, /revoked/);
    const listed = await adminRequest(server.url, account, "GET", "/_admin/v1/pools/pa/join-tokens");
    assert.deepEqual(listed.json.value.map((token: { id: string; revoked: boolean }) => [token.id, token.revoked]).sort(), [[good.id, false], [revocable.id, true]].sort());
    assert.equal(listed.text.includes(good.token), false, "listing never shows a secret");
    assert.equal((await adminRequest(server.url, account, "DELETE", "/_admin/v1/pools/pa/join-tokens/nosuchtoken")).status, 404);

    // A real agent with the revoked token: exit 3, the reason in its log.
    const agent = startRemoteAgent({ serverUrl: server.url, workDir: join(work, "revoked"), joinToken: revocable.token });
    assert.equal(await agent.exited, 3);
    assert.match(agent.log(), /refused to let this agent join: The join token '.+' of pool 'pa' has been revoked/);
    assert.equal(agent.log().includes(revocable.token), false, "the token never reaches a log");

    assert.deepEqual(await nodesOf("pa"), [], "no refused joiner got a node");
    // Nothing was registered: a good joiner gets the whole offer.
    const fresh = await createJoinToken(server.url, account, "pa");
    const joined = await join_(fresh.token, 2);
    assert.equal(joined.status, 200, joined.text);
    assert.equal(joined.json.nodes, 2);
    assert.equal((await nodesOf("pa")).length, 2);

    // A pool deleted takes its tokens along.
    const doomed = await createJoinToken(server.url, account, "pa");
    assert.equal((await request("DELETE", "/pools/pa")).status, 202);
    await waitFor("the pool to be gone", async () => (await request("GET", "/pools/pa")).status === 404);
    await addExternalPool(server.url, account, "pa", 1);
    assert.equal((await join_(doomed.token)).status, 403, "a pool made again under the same id does not honour old tokens");
    // Also a pool no agent joined yet, which goes at once.
    await addExternalPool(server.url, account, "pe", 1);
    const early = await createJoinToken(server.url, account, "pe");
    assert.equal((await request("DELETE", "/pools/pe")).status, 202);
    assert.equal((await request("GET", "/pools/pe")).status, 404, "a pool without nodes is gone at once");
    await addExternalPool(server.url, account, "pe", 1);
    const orphaned = await join_(early.token);
    assert.equal(orphaned.status, 403, "the old pool's tokens went with it");
    assert.equal(orphaned.json.code, "JoinTokenRevoked");
  });

  it("makes tokens only for existing external pools, for a holder of the account's key", async () => {
    const local = await batchRequest(server.url, {
      method: "POST", path: `/pools?api-version=${apiVersion}`, account, date: now,
      body: { id: "localpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 0, virtualMachineConfiguration: ubuntuVm },
    });
    assert.equal(local.status, 201);
    const notExternal = await adminRequest(server.url, account, "POST", "/_admin/v1/pools/localpool/join-tokens", {});
    assert.equal(notExternal.status, 409);
    assert.equal(notExternal.json.code, "OperationNotValidOnPool");
    assert.match(notExternal.json.message.value, /'local' provider.*openbatch\.provider/);
    const missing = await adminRequest(server.url, account, "POST", "/_admin/v1/pools/nosuchpool/join-tokens", {});
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, "PoolNotFound");
    const badLifetime = await adminRequest(server.url, account, "POST", "/_admin/v1/pools/pa/join-tokens", { lifetimeInSeconds: 5 });
    assert.equal(badLifetime.status, 400);
    assert.match(JSON.stringify(badLifetime.json), /lifetimeInSeconds/);
    const unknownProperty = await adminRequest(server.url, account, "POST", "/_admin/v1/pools/pa/join-tokens", { pool: "x" });
    assert.equal(unknownProperty.status, 400);
    const unsigned = await fetch(`${server.url}/_admin/v1/pools/pa/join-tokens`, { method: "POST", body: "{}" });
    assert.equal(unsigned.status, 403);
    const otherAccount = await adminRequest(server.url, testAccounts.beta, "POST", "/_admin/v1/pools/pa/join-tokens", {});
    assert.equal(otherAccount.status, 404, "beta has no pool 'pa': accounts are isolated");
    const badProvider = await batchRequest(server.url, {
      method: "POST", path: `/pools?api-version=${apiVersion}`, account, date: now,
      body: { id: "weird", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 0, virtualMachineConfiguration: ubuntuVm, metadata: [{ name: "openbatch.provider", value: "cloud" }] },
    });
    assert.equal(badProvider.status, 400);
    assert.equal(badProvider.json.code, "InvalidPropertyValue");
    assert.match(badProvider.json.message.value, /openbatch\.provider.*local, external, slurm/);
  });

  it("refuses an agent that reports a node of another pool or of another agent, applying nothing", async () => {
    await addExternalPool(server.url, account, "pb", 1);
    await addExternalPool(server.url, account, "pc", 2);
    assert.equal((await join_((await createJoinToken(server.url, account, "pb")).token)).status, 200);
    const c1 = (await join_((await createJoinToken(server.url, account, "pc")).token)).json;
    assert.equal((await join_((await createJoinToken(server.url, account, "pc")).token)).status, 200, "a second agent of pool pc");
    const [nodeB] = await nodesOf("pb");
    const nodesC = await nodesOf("pc");
    assert.ok(nodeB !== undefined && nodesC.length === 2);

    const own = await sync(c1, []);
    assert.equal(own.status, 200, own.text);
    const mine = own.json.nodes.map((node: { nodeId: string }) => node.nodeId) as string[];
    assert.equal(mine.length, 1);

    const foreignPool = await sync(c1, [...mine, nodeB.id]);
    assert.equal(foreignPool.status, 403);
    assert.equal(foreignPool.json.code, "NodeNotAssigned");
    assert.match(foreignPool.json.message, new RegExp(`'${nodeB.id}' is not a node of pool 'pc'`));
    const otherAgent = nodesC.find((node) => !mine.includes(node.id)) as { id: string };
    const foreignAgent = await sync(c1, [otherAgent.id]);
    assert.equal(foreignAgent.status, 403);
    assert.match(foreignAgent.json.message, /assigned to another agent/);
    assert.equal((await nodesOf("pb"))[0]?.state, "creating", "the claimed node is untouched");
    assert.equal((await nodesOf("pc")).find((node) => node.id === otherAgent.id)?.state, "creating");
  });

  it("keeps a pool missing joiners resizing until its resize timeout, then reports AllocationTimedOut", async () => {
    await addExternalPool(server.url, account, "pd", 3, { resizeTimeout: "PT5M" });
    const token = (await createJoinToken(server.url, account, "pd")).token;
    assert.equal((await join_(token, 1)).status, 200);
    now = new Date(now.getTime() + 4 * 60_000);
    const tick = (value: string) => request("PATCH", "/pools/pd", { metadata: [{ name: "openbatch.provider", value: "external" }, { name: "tick", value }] });
    assert.equal((await tick("1")).status, 200);
    assert.equal((await request("GET", "/pools/pd")).json.allocationState, "resizing", "within the timeout");
    now = new Date(now.getTime() + 2 * 60_000);
    assert.equal((await tick("2")).status, 200);
    const pool = await waitFor("the pool to settle", async () => {
      const body = (await request("GET", "/pools/pd")).json;
      return body.allocationState === "steady" ? body : undefined;
    });
    assert.equal(pool.resizeErrors[0].code, "AllocationTimedOut");
    assert.equal(pool.resizeErrors[0].message, "Desired number of nodes could not be allocated as the resize timeout was reached.");
    assert.equal(pool.targetDedicatedNodes, 3);
    assert.equal(pool.currentDedicatedNodes, 0, "the node its agent never reached was given up");
    // A host started late still joins and gets a node.
    const late = await join_(token, 5);
    assert.equal(late.status, 200, late.text);
    assert.ok(late.json.nodes >= 1);
    assert.equal((await nodesOf("pd")).length, 3, "the targets are met again, by the agents that joined");
  });
});
