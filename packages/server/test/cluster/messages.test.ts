import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maxNotifyBytes } from "@openbatch/store";
import { decodeMessage, encodeEvents, encodeMessage } from "../../src/cluster/messages.js";
import type { EventData } from "../../src/events/eventHub.js";

describe("replica messages", () => {
  it("carry effects, releases and barriers, and read back as sent", () => {
    const messages = [
      { type: "effect", from: "r1", effect: { kind: "notifyPool", account: "a", poolId: "P" } },
      { type: "effect", from: "r1", effect: { kind: "wakeScheduler", account: "a" } },
      { type: "released", from: "r2", accounts: ["a", "b"] },
      { type: "barrier", from: "r3", id: 7 },
    ] as const;
    for (const message of messages) assert.deepEqual(decodeMessage(encodeMessage(message)), message);
  });

  it("split a transaction's events into notifications within PostgreSQL's limit, in order, none lost", () => {
    const events: EventData[] = Array.from({ length: 500 }, (_, i) => ({ kind: "task", change: "insert", jobId: "job-1", id: `task-${i}`, state: "active", eTag: `0x${i}`, lastModified: "2026-12-01T00:00:00.000Z" }));
    const payloads = encodeEvents("r1", "acct", events);
    assert.ok(payloads.length > 5, `${payloads.length} notifications`);
    const back: EventData[] = [];
    for (const payload of payloads) {
      assert.ok(Buffer.byteLength(payload) <= maxNotifyBytes, `${Buffer.byteLength(payload)} bytes`);
      const message = decodeMessage(payload);
      assert.equal(message?.type, "events");
      if (message?.type === "events") {
        assert.equal(message.account, "acct");
        back.push(...message.events);
      }
    }
    assert.deepEqual(back, events);
    assert.deepEqual(encodeEvents("r1", "acct", []), []);
  });

  it("ignore payloads that are not a replica's message", () => {
    for (const payload of ["", "not json", "null", "[]", '{"type":"effect"}', '{"type":"effect","from":"r","effect":1}', '{"type":"unknown","from":"r"}', '{"type":"events","from":"r","account":"a","events":{}}']) {
      assert.equal(decodeMessage(payload), undefined, payload);
    }
  });

  it("refuse to make a message that would not fit in one notification", () => {
    assert.throws(() => encodeMessage({ type: "released", from: "r", accounts: Array.from({ length: 1000 }, (_, i) => `account-number-${i}`) }), RangeError);
  });
});
