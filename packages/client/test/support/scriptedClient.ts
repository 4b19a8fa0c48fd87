/** A client of a scripted server (scriptedServer.ts), closed with it, and the error a failing call ends with. */
import assert from "node:assert/strict";
import { BatchServiceClient, BatchSharedKeyCredential, type BatchServiceClientOptions } from "../../src/index.js";
import { startScriptedServer, type ScriptedHandler, type ScriptedServer } from "./scriptedServer.js";

export const testCredential = new BatchSharedKeyCredential("acct", Buffer.from("key").toString("base64"));

export async function withScriptedClient(
  handler: ScriptedHandler,
  options: BatchServiceClientOptions,
  body: (client: BatchServiceClient, server: ScriptedServer) => Promise<void>,
): Promise<void> {
  const server = await startScriptedServer(handler);
  const client = new BatchServiceClient(server.url, testCredential, options);
  try {
    await body(client, server);
  } finally {
    await client.close();
    await server.close();
  }
}

/** The error `call` rejects with; fails the test when it resolves. */
export async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  return assert.fail("expected the call to fail");
}
