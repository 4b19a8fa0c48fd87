/**
 * The event hub with a real SQLite store behind the store decorator: events are published once per committed
 * transaction in commit order and never for rolled-back work; a subscriber is a cursor (a stalled one gets a reset
 * when it resumes, not a backlog); `Last-Event-ID` resumes exactly after the event; accounts never mix.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SqliteStore } from "@openbatch/store";
import { EventHub, type EventSink } from "../../src/events/eventHub.js";
import { observeStore } from "../../src/events/observedStore.js";
import { SseParser } from "./sseParser.js";

const now = new Date("2026-01-01T00:00:00Z");

/** A sink that records frames and can refuse writes like a full socket. */
class RecordingSink implements EventSink {
  text = "";
  full = false;
  ended = false;
  private drain: (() => void) | undefined;
  write(text: string): boolean {
    this.text += text;
    return !this.full;
  }
  onDrain(listener: () => void): void {
    this.drain = listener;
  }
  end(): void {
    this.ended = true;
  }
  release(): void {
    this.full = false;
    const listener = this.drain;
    this.drain = undefined;
    listener?.();
  }
  messages() {
    const parser = new SseParser();
    return parser.push(this.text).map((message) => ({ ...message, data: JSON.parse(message.data) as Record<string, unknown> }));
  }
}

function setup(bufferSize = 100) {
  const hub = new EventHub({ bufferSize, heartbeatInSeconds: 3600 });
  const store = observeStore(new SqliteStore({ filename: ":memory:", now }), { committed: (changes) => hub.publish(changes) });
  return { hub, store, close: async () => (hub.close(), await store.close()) };
}

describe("the event hub behind the store decorator", () => {
  it("publishes a committed transaction's changes in order, and nothing of a rolled-back one", async () => {
    const { hub, store, close } = setup();
    const sink = new RecordingSink();
    hub.subscribe("a", {}, undefined, sink);
    await store.write(async (tx) => {
      await tx.insert({ account: "a", kind: "job", scope: "", id: "J1" }, { id: "J1", state: "active" }, now);
      await tx.insert({ account: "a", kind: "task", scope: "J1", id: "t1" }, { id: "t1", state: "active" }, now);
      await tx.replace({ account: "a", kind: "task", scope: "J1", id: "t1" }, { id: "t1", state: "completed", executionInfo: { exitCode: 3, result: "failure" } }, now);
      // Bookkeeping rows are not told.
      await tx.insert({ account: "a", kind: "agent", scope: "p", id: "agent-1" }, {}, now);
    });
    await assert.rejects(
      store.write(async (tx) => {
        await tx.insert({ account: "a", kind: "job", scope: "", id: "J2" }, { id: "J2", state: "active" }, now);
        throw new Error("rolled back");
      }),
      /rolled back/,
    );
    await store.write(async (tx) => {
      await tx.deleteAll({ account: "a", kind: "task", scope: "J1" });
      await tx.delete({ account: "a", kind: "job", scope: "", id: "J1" });
    });
    const changes = sink.messages().filter((message) => message.type === "change").map((message) => message.data);
    assert.deepEqual(
      changes.map(({ kind, change, id, jobId, state, exitCode, result }) => ({ kind, change, id, jobId, state, exitCode, result })),
      [
        { kind: "job", change: "insert", id: "J1", jobId: undefined, state: "active", exitCode: undefined, result: undefined },
        { kind: "task", change: "insert", id: "t1", jobId: "J1", state: "active", exitCode: undefined, result: undefined },
        { kind: "task", change: "replace", id: "t1", jobId: "J1", state: "completed", exitCode: 3, result: "failure" },
        { kind: "task", change: "deleteAll", id: undefined, jobId: "J1", state: undefined, exitCode: undefined, result: undefined },
        { kind: "job", change: "delete", id: "J1", jobId: undefined, state: undefined, exitCode: undefined, result: undefined },
      ],
    );
    // ETags come from the store's one counter: increasing ETags are commit order.
    const eTags = changes.filter((change) => change["eTag"] !== undefined).map((change) => BigInt(change["eTag"] as string));
    assert.ok(eTags.every((eTag, index) => index === 0 || eTag > (eTags[index - 1] as bigint)));
    await close();
  });

  it("filters by job and by pool, case-insensitively, and keeps accounts apart", async () => {
    const { hub, store, close } = setup();
    const job = new RecordingSink();
    const pool = new RecordingSink();
    const other = new RecordingSink();
    hub.subscribe("a", { jobId: "j1" }, undefined, job);
    hub.subscribe("a", { poolId: "P1" }, undefined, pool);
    hub.subscribe("b", {}, undefined, other);
    await store.write(async (tx) => {
      await tx.insert({ account: "a", kind: "job", scope: "", id: "J1" }, { state: "active" }, now);
      await tx.insert({ account: "a", kind: "task", scope: "J1", id: "t" }, { state: "active" }, now);
      await tx.insert({ account: "a", kind: "job", scope: "", id: "J2" }, { state: "active" }, now);
      await tx.insert({ account: "a", kind: "pool", scope: "", id: "p1" }, { state: "active" }, now);
      await tx.insert({ account: "a", kind: "node", scope: "p1", id: "n1" }, { state: "idle", runningTasksCount: 0 }, now);
    });
    const ids = (sink: RecordingSink) => sink.messages().filter((message) => message.type === "change").map((message) => `${message.data["kind"]}:${message.data["id"]}`);
    assert.deepEqual(ids(job), ["job:J1", "task:t"]);
    assert.deepEqual(ids(pool), ["pool:p1", "node:n1"]);
    assert.deepEqual(ids(other), []);
    await close();
  });

  it("resumes after a Last-Event-ID, and resets when it is unknown or no longer held", async () => {
    const { hub, store, close } = setup(5);
    const first = new RecordingSink();
    hub.subscribe("a", {}, undefined, first);
    for (let i = 0; i < 3; i++) await store.write((tx) => tx.insert({ account: "a", kind: "job", scope: "", id: `j${i}` }, { state: "active" }, now));
    const seen = first.messages().filter((message) => message.type === "change");
    const resumeAfter = seen[0]?.lastEventId as string;
    const resumed = new RecordingSink();
    hub.subscribe("a", {}, resumeAfter, resumed);
    assert.deepEqual(resumed.messages().map((message) => `${message.type}:${message.data["id"] ?? ""}`), ["ready:", "change:j1", "change:j2"]);
    const foreign = new RecordingSink();
    hub.subscribe("a", {}, "abcdef.1", foreign);
    assert.deepEqual(foreign.messages().map((message) => message.type), ["reset"]);
    for (let i = 3; i < 12; i++) await store.write((tx) => tx.insert({ account: "a", kind: "job", scope: "", id: `j${i}` }, { state: "active" }, now));
    const late = new RecordingSink();
    hub.subscribe("a", {}, resumeAfter, late);
    assert.deepEqual(late.messages().map((message) => message.type), ["reset"], "five events are held: the resume point is gone");
    await close();
  });

  it("keeps no backlog for a stalled subscriber: it resumes from its cursor, or with a reset once overtaken", async () => {
    const { hub, store, close } = setup(50);
    const slow = new RecordingSink();
    hub.subscribe("a", {}, undefined, slow);
    slow.full = true;
    await store.write((tx) => tx.insert({ account: "a", kind: "job", scope: "", id: "first" }, { state: "active" }, now));
    const written = slow.text.length;
    for (let i = 0; i < 20; i++) await store.write((tx) => tx.insert({ account: "a", kind: "job", scope: "", id: `j${i}` }, { state: "active" }, now));
    assert.equal(slow.text.length, written, "nothing is written (or queued) while the socket is full");
    slow.release();
    assert.equal(slow.messages().filter((message) => message.type === "change").length, 21, "caught up from the ring");
    slow.full = true;
    await store.write((tx) => tx.insert({ account: "a", kind: "job", scope: "", id: "blocked" }, { state: "active" }, now));
    for (let i = 0; i < 200; i++) await store.write((tx) => tx.insert({ account: "a", kind: "job", scope: "", id: `k${i}` }, { state: "active" }, now));
    slow.release();
    const after = slow.messages().slice(23);
    assert.equal(after[0]?.type, "reset", "overtaken by 200 events with 50 held: a reset");
    await store.write((tx) => tx.insert({ account: "a", kind: "job", scope: "", id: "fresh" }, { state: "active" }, now));
    assert.equal(slow.messages().at(-1)?.data["id"], "fresh", "then live again");
    assert.equal(hub.subscriberCount, 1);
    hub.close();
    assert.equal(slow.ended, true);
    assert.equal(hub.subscriberCount, 0);
    await close();
  });
});
