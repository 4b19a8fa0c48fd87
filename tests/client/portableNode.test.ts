/** The portable client suite (portable/clientSuite.ts) on Node.js: the node:http transport, node:crypto signing. */
import { after, before, describe, it } from "node:test";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { clientCases } from "./portable/clientSuite.js";

describe("the client on Node.js (portable suite)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.dispose());

  for (const clientCase of clientCases) {
    it(clientCase.name, () => clientCase.run({ url: server.url, account: testAccounts.alpha, prefix: "node" }));
  }
});
