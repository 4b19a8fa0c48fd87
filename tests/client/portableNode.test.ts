/** The portable client suite (portable/clientSuite.ts) on Node.js: the node:http transport, node:crypto signing. */
import { after, before, describe, it } from "node:test";
import { clientCases } from "./portable/clientSuite.js";
import { startPortableServer } from "./portable/portableServer.js";

describe("the client on Node.js (portable suite)", () => {
  let started: Awaited<ReturnType<typeof startPortableServer>>;
  before(async () => {
    started = await startPortableServer("node");
  });
  after(() => started?.dispose());

  for (const clientCase of clientCases) {
    it(clientCase.name, () => clientCase.run(started.context));
  }
});
