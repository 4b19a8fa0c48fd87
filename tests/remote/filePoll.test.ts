/**
 * The file channel's long poll (POST /_agent/v1/files/poll) over kept-alive connections, as an agent holds them
 * for days: each poll watches its connection so that a dead agent holds nothing, and must stop watching when it
 * ends — else every poll leaves a listener on the socket (Node warns past ten on one socket).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { agentFilePollPath, agentJoinPath, agentProtocolVersion } from "@openbatch/protocol";
import { readResponse } from "../support/batchRequest.js";
import { addExternalPool, createJoinToken } from "../support/remoteAgents.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const account = testAccounts.alpha;

describe("agent file poll", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined });
  });
  after(() => server.dispose());

  it("answers poll after poll on kept-alive connections without leaving a listener behind per poll", async () => {
    await addExternalPool(server.url, account, "polled", 1);
    const joined = await readResponse(
      await fetch(`${server.url}${agentJoinPath}`, {
        method: "POST",
        headers: { authorization: `Bearer ${(await createJoinToken(server.url, account, "polled")).token}`, "content-type": "application/json" },
        body: JSON.stringify({ protocolVersion: agentProtocolVersion, nodes: 1, hostname: "elsewhere", agentVersion: "test" }),
      }),
    );
    assert.equal(joined.status, 200, joined.text);
    const { token } = joined.json as { token: string };
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      for (let poll = 0; poll < 30; poll++) {
        const answer = await readResponse(
          await fetch(`${server.url}${agentFilePollPath}`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ waitInMs: 0 }),
          }),
        );
        assert.equal(answer.status, 200, answer.text);
        assert.deepEqual(answer.json, { requests: [] });
      }
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    assert.deepEqual(warnings.filter((warning) => warning.startsWith("MaxListenersExceededWarning")), []);
  });
});
