import assert from "node:assert/strict";
import { appendFile, mkdtemp, readdir, readFile, rm, symlink, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { DesiredNode, TaskAssignment } from "@openbatch/protocol";
import { Backoff } from "../src/session/backoff.js";
import { LocalStateFile, type PersistedState } from "../src/localState.js";
import { parseByteRange } from "../src/files/byteRange.js";
import { hasWorkQueued, persistedTask, restoredTask, runsToStart } from "../src/nodes/taskQueue.js";
import { parseRelativePath, resolveForCreation } from "../src/files/nodePaths.js";
import { accountNameFor, identityName, identitySpec, IdentityError } from "../src/nodes/taskIdentities.js";
import { FileApiError, nodeLayout } from "../src/index.js";

describe("Backoff", () => {
  it("doubles from the initial delay up to the cap, with jitter between half and all of it", () => {
    const low = new Backoff({ initialInMs: 100, maxInMs: 1000, random: () => 0 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => low.next()), [50, 100, 200, 400, 500, 500]);
    const high = new Backoff({ initialInMs: 100, maxInMs: 1000, random: () => 1 });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => high.next()), [100, 200, 400, 800, 1000]);
    high.reset();
    assert.equal(high.next(), 100);
    assert.equal(high.count, 1);
  });
});

describe("LocalStateFile", () => {
  const state = (generation: number, padding = ""): PersistedState => ({
    version: 1,
    agentId: "a",
    nodes: [{ nodeId: `n${padding}`, poolId: "p", generation, phase: "ready", removing: false, wipePending: false, startTaskAttemptRun: 0 }],
  });
  const generationsIn = (text: string) => text.trim().split("\n").map((line) => (JSON.parse(line) as PersistedState).nodes[0]?.generation);

  it("coalesces the saves of one turn into one write of the newest", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ob-agent-state-"));
    try {
      const path = join(directory, "state.json");
      const file = new LocalStateFile(path);
      await Promise.all([1, 2, 3, 4].map((generation) => file.save(state(generation))));
      assert.deepEqual(generationsIn(await readFile(path, "utf8")), [4]);
      assert.deepEqual((await file.load()).state?.nodes[0]?.generation, 4);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("appends each later state as a line, rewrites the file with the newest alone once it grew, and survives a cut last line", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ob-agent-state-"));
    try {
      const path = join(directory, "state.json");
      const file = new LocalStateFile(path);
      for (const generation of [1, 2, 3]) await file.save(state(generation));
      assert.deepEqual(generationsIn(await readFile(path, "utf8")), [1, 2, 3]);
      // A crash in the middle of an append: the state is the last whole line.
      await appendFile(path, JSON.stringify(state(4)).slice(0, 40));
      assert.equal((await new LocalStateFile(path).load()).state?.nodes[0]?.generation, 3);
      // States of 40 kB: 32 of them outgrow the 1 MiB a file may reach before it is rewritten.
      const big = "x".repeat(40_000);
      for (let generation = 5; generation < 40; generation++) await file.save(state(generation, big));
      const rewritten = generationsIn(await readFile(path, "utf8"));
      assert.ok(rewritten.length < 30 && rewritten.at(-1) === 39, `rewritten: generations ${rewritten.join(", ")}`);
      assert.equal((await file.load()).state?.nodes[0]?.generation, 39);
      await file.remove();
      assert.deepEqual(await readdir(directory), [], "no temporary file is left");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("a node's task runs", () => {
  const run = (assignmentId: string, order: number[], slots = 1): TaskAssignment => ({ assignmentId, jobId: "j", taskId: assignmentId, attempt: 1, commandLine: "/bin/true", taskDirectory: `t/${assignmentId}`, environment: {}, order, slots });

  it("starts waiting runs in their order while their slots fit, never one past an earlier that waits, slotless ones at once", () => {
    const waiting = [run("c", [0, 3]), run("a", [0, 1]), run("big", [0, 2], 3), run("prep", [0, 9], 0), run("b", [-1, 5])];
    assert.deepEqual(runsToStart(waiting, 0, 4).map((entry) => entry.assignmentId), ["b", "a", "prep"], "big needs 3 slots of the 2 left: c waits behind it");
    assert.deepEqual(runsToStart(waiting, 0, 5).map((entry) => entry.assignmentId), ["b", "a", "big", "prep"]);
    assert.deepEqual(runsToStart(waiting, 4, 4).map((entry) => entry.assignmentId), ["prep"]);
  });

  it("has work queued while runs it has not begun, nor been told to kill or withdraw, wait for all its slots", () => {
    const node = (tasks: TaskAssignment[]): DesiredNode => ({ nodeId: "n", poolId: "p", generation: 0, generationChange: "reboot", action: "run", isDedicated: true, taskSlots: 2, startTaskAttempt: 0, environment: {}, tasks });
    const tasks = [run("begun", [0, 1]), run("a", [0, 2]), run("b", [0, 3]), run("killed", [0, 4]), run("dropped", [0, 5])];
    const known = new Map([["begun", {}]]);
    assert.equal(hasWorkQueued(node(tasks), known), true, "a and b wait for the 2 slots");
    assert.equal(hasWorkQueued(node([tasks[0] as TaskAssignment, tasks[1] as TaskAssignment, { ...(tasks[2] as TaskAssignment), kill: true }]), known), false, "a killed run never starts");
    assert.equal(hasWorkQueued(node([tasks[1] as TaskAssignment, { ...(tasks[2] as TaskAssignment), withdraw: true }]), new Map()), false);
    assert.equal(hasWorkQueued(node([run("wide", [0, 1], 2)]), new Map()), true, "one run of two slots fills both");
    assert.equal(hasWorkQueued(node([]), new Map()), false);
  });

  it("restores a run saved as running as ended by the restart, and saves what it restored as it was", () => {
    const saved = { assignmentId: "j.t.1", outcome: { attempt: 1, state: "running" as const, startTime: "2026-12-07T00:00:00.000Z" }, process: { pid: 42, startTicks: "7" } };
    const restored = restoredTask(saved, "2026-12-07T00:01:00.000Z");
    assert.equal(restored.outcome?.state, "completed");
    assert.equal(restored.outcome?.failure?.code, "AgentRestarted");
    assert.equal(restored.outcome?.endTime, "2026-12-07T00:01:00.000Z");
    assert.deepEqual(persistedTask(restored).process, { pid: 42, startTicks: "7" });
    const withdrawn = restoredTask({ assignmentId: "j.u.1", withdrawn: true }, "2026-12-07T00:01:00.000Z");
    assert.deepEqual(persistedTask(withdrawn), { assignmentId: "j.u.1", withdrawn: true });
  });
});

describe("byte ranges", () => {
  const cases: [string, number, [number, number] | "invalid"][] = [
    ["bytes=0-0", 10, [0, 0]],
    ["bytes=0-9", 10, [0, 9]],
    ["bytes=0-99", 10, [0, 9]],
    ["bytes=9-", 10, [9, 9]],
    ["bytes=-3", 10, [7, 9]],
    ["bytes=-30", 10, [0, 9]],
    ["BYTES = 2 - 3", 10, [2, 3]],
    ["bytes=10-", 10, "invalid"],
    ["bytes=0-0", 0, "invalid"],
    ["bytes=-1", 0, "invalid"],
    ["bytes=3-2", 10, "invalid"],
    ["bytes=-", 10, "invalid"],
    ["bytes=a-b", 10, "invalid"],
    ["bytes=0-1,2-3", 10, "invalid"],
  ];
  for (const [header, size, expected] of cases) {
    it(`${header} of ${size} bytes`, () => {
      if (expected === "invalid") {
        assert.throws(() => parseByteRange(header, size), (error: unknown) => error instanceof FileApiError && error.code === "InvalidRange");
      } else {
        assert.deepEqual(parseByteRange(header, size), { start: expected[0], end: expected[1] });
      }
    });
  }
});

describe("node paths", () => {
  it("parses relative paths and refuses escapes", () => {
    assert.deepEqual(parseRelativePath(""), []);
    assert.deepEqual(parseRelativePath("./a//b/./c/"), ["a", "b", "c"]);
    assert.deepEqual(parseRelativePath("a\\..\\b"), ["a\\..\\b"], "a backslash is a file-name character on Linux");
    for (const bad of ["..", "a/../b", "/etc", "a\0b", "../x"]) {
      assert.throws(() => parseRelativePath(bad), (error: unknown) => error instanceof FileApiError && error.code === "InvalidFilePath", bad);
    }
  });

  it("creates parents for a new file but never through a link leaving the base", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ob-agent-paths-"));
    try {
      const base = join(directory, "wd");
      await mkdir(base);
      await mkdir(join(directory, "elsewhere"));
      await symlink(join(directory, "elsewhere"), join(base, "out"));
      assert.equal(await resolveForCreation(base, "a/b/c.txt"), join(base, "a", "b", "c.txt"));
      await assert.rejects(resolveForCreation(base, "out/x.txt"), { code: "InvalidFilePath" });
      await assert.rejects(resolveForCreation(base, "out/new/x.txt"), { code: "InvalidFilePath" });
      await assert.rejects(resolveForCreation(base, "a"), { code: "InvalidFilePath" }, "an existing directory");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("refuses ids that cannot name a directory", () => {
    assert.throws(() => nodeLayout("/data", "..", "n"));
    assert.throws(() => nodeLayout("/data", "p", "a/b"));
    assert.equal(nodeLayout("/data", "p", "n").startupWorkingDirectory, "/data/p/n/startup/wd");
  });
});

describe("user identities", () => {
  const users = [{ name: "Alice", elevationLevel: "admin" as const }, { name: "bob", elevationLevel: "nonadmin" as const }];
  const nameOf = (identity: Parameters<typeof identitySpec>[0]) => identityName(identitySpec(identity, users));

  it("maps user identities to AZ_BATCH_TASK_USER_IDENTITY", () => {
    assert.equal(nameOf(undefined), "PoolNonAdmin");
    assert.equal(nameOf({ autoUser: { elevationLevel: "admin" } }), "PoolAdmin");
    assert.equal(nameOf({ autoUser: { scope: "task" } }), "TaskNonAdmin");
    assert.equal(nameOf({ autoUser: { scope: "task", elevationLevel: "admin" } }), "TaskAdmin");
    assert.equal(nameOf({ username: "alice" }), "Alice", "a pool user, found whatever the case, by its own spelling");
  });

  it("refuses a user name the pool does not have", () => {
    assert.throws(() => identitySpec({ username: "carol" }, users), IdentityError);
    assert.throws(() => identitySpec({ username: "alice" }, undefined), IdentityError);
  });

  it("names OS accounts per pool of each data directory, account and pool, and per run for task scope", () => {
    const pool = { dataDirectory: "/data/nodes", account: "acct", poolId: "Pool1" };
    const poolUser = accountNameFor(pool, identitySpec(undefined, users), "run-1");
    assert.match(poolUser, /^_azbatch_[0-9a-f]{8}$/);
    assert.equal(accountNameFor({ ...pool, poolId: "pool1" }, identitySpec(undefined, users), "run-2"), poolUser, "pool ids are case-insensitive; runs do not matter");
    assert.notEqual(accountNameFor({ ...pool, account: "other" }, identitySpec(undefined, users), "run-1"), poolUser);
    assert.notEqual(accountNameFor({ ...pool, dataDirectory: "/elsewhere" }, identitySpec(undefined, users), "run-1"), poolUser);
    assert.match(accountNameFor(pool, identitySpec({ autoUser: { elevationLevel: "admin" } }, users), "r"), /^_azbatchsudo_[0-9a-f]{8}$/);
    const task = accountNameFor(pool, identitySpec({ autoUser: { scope: "task" } }, users), "run-1");
    assert.match(task, /^_azbatchtask_[0-9a-f]{8}_[0-9a-f]{6}$/);
    assert.notEqual(accountNameFor(pool, identitySpec({ autoUser: { scope: "task" } }, users), "run-2"), task);
    const named = accountNameFor(pool, identitySpec({ username: "bob" }, users), "r");
    assert.match(named, /^_azbatchuser_[0-9a-f]{8}_[0-9a-f]{6}$/);
    for (const name of [poolUser, task, named]) assert.ok(name.length <= 32, `${name} fits useradd's limit`);
  });
});
