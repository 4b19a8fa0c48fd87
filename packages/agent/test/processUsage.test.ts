/**
 * What a run's processes used (docs/statistics.md), as each launcher measures it: the spawner exactly when the
 * process group ends — its leader, what the leader reaped, and processes of the group that outlived their parent
 * (a sandbox's init) —, Node's launcher from samples of /proc while the group ran. Both unconfined and in the
 * bubblewrap sandbox tasks run in by default. Figures are compared with what the commands certainly did (bytes
 * written by dd, CPU burnt by a loop) as lower bounds: the machine's load only ever adds to them.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  detectIsolation, directoryBytes, exitUsage, GroupSampler, nodeLauncher, NodeResourceSampler, parseIo, parseStat, runProcess, spawnerBinary, SpawnerLauncher,
  startProcess, type Confinement, type Isolation, type Launcher, type RunProcessOptions,
} from "../src/index.js";

const basePath = process.env.PATH ?? "/usr/bin:/bin";
/** Writes 4 MiB in 1,000 writes, then burns CPU for about `seconds` of wall clock (forking `date` to tell the time). */
const busyScript = (seconds: number) =>
  `dd if=/dev/zero of=out.bin bs=4096 count=1024 2>/dev/null; end=$(($(date +%s) + ${seconds})); i=0; while [ $(date +%s) -lt $end ]; do i=$((i+1)); done; echo $i`;

describe("parsing what /proc and the spawner say", () => {
  it("reads a stat line whose command name holds spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    const stat = `1234 (a (b) c) ${fields.join(" ")}`;
    // Field 5 is the group; 14+16 user ticks, 15+17 kernel ticks.
    assert.deepEqual(parseStat(stat), { group: 5, userTicks: 14 + 16, kernelTicks: 15 + 17 });
  });

  it("reads /proc/<pid>/io counters and the spawner's exit figures", () => {
    assert.deepEqual(parseIo("rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\nread_bytes: 0\n"), { readBytes: 10, writeBytes: 20, readOperations: 3, writeOperations: 4 });
    assert.deepEqual(exitUsage("X 42 0 0 1500 250 3 4 10 20 1024"), {
      userCpuMicroseconds: 1500, kernelCpuMicroseconds: 250, readOperations: 3, writeOperations: 4, readBytes: 10, writeBytes: 20, peakMemoryBytes: 1024 * 1024, method: "exit",
    });
    assert.equal(exitUsage("X 42 0 0"), undefined);
  });
});

const spawner = new SpawnerLauncher();
const launchers: [string, Launcher, "exit" | "sampled"][] = [
  ["openbatch-spawner", spawner, "exit"],
  ["Node's child_process", nodeLauncher, "sampled"],
];

for (const [launcherName, launcher, method] of launchers) {
  for (const confined of [false, true]) describe(`what a process group used, with ${launcherName}${confined ? ", in the sandbox" : ""}`, () => {
    let root: string;
    let isolation: Isolation;
    let counter = 0;
    before(async () => {
      assert.ok(launcher !== spawner || existsSync(spawnerBinary), "CI builds the spawner");
      isolation = await detectIsolation(process.env, process.platform, process.getuid?.());
      assert.notEqual(isolation.tools, undefined, `bubblewrap must work here: ${isolation.reason ?? ""}`);
      root = await mkdtemp(join(tmpdir(), "ob-usage-"));
      await chmod(root, 0o755);
      await mkdir(join(root, "wd"), { recursive: true });
      await mkdir(join(root, "volatile", "tmp"), { recursive: true });
      await chmod(join(root, "wd"), 0o777);
    });
    after(async () => {
      await rm(root, { recursive: true, force: true });
    });
    const run = (script: string, extra: Partial<RunProcessOptions> = {}): RunProcessOptions => {
      counter++;
      const confinement: Confinement | undefined = confined ? { tools: isolation.tools as NonNullable<Isolation["tools"]>, nodeRoot: root, tmpDirectory: join(root, "volatile", "tmp") } : undefined;
      return {
        argv: ["/bin/sh", "-c", script],
        cwd: join(root, "wd"),
        env: { PATH: basePath },
        stdoutPath: join(root, `stdout-${counter}.txt`),
        stderrPath: join(root, `stderr-${counter}.txt`),
        killGracePeriodInMs: 200,
        launcher,
        ...(confinement === undefined ? {} : { confinement }),
        ...extra,
      };
    };

    it("measures CPU time and the bytes and calls of reads and writes of the whole tree", async () => {
      // Long enough for samples to see it: the sampler looks every half second.
      const result = await runProcess(run(busyScript(2)));
      assert.equal(result.exitCode, 0);
      const usage = result.usage;
      assert.ok(usage !== undefined, "the launcher reports usage");
      assert.equal(usage.method, method);
      // dd's writes were made by a child the shell reaped: they count (4 MiB in 1,024 calls).
      assert.ok(usage.writeBytes >= 4 * 1024 * 1024, `writeBytes ${usage.writeBytes}`);
      assert.ok(usage.writeOperations >= 1024, `writeOperations ${usage.writeOperations}`);
      assert.ok(usage.readBytes >= 4 * 1024 * 1024, `readBytes ${usage.readBytes} (dd read /dev/zero)`);
      // Two seconds of a busy loop forking date: most of it is CPU, whatever the load.
      assert.ok(usage.userCpuMicroseconds + usage.kernelCpuMicroseconds >= 200_000, `CPU ${usage.userCpuMicroseconds} + ${usage.kernelCpuMicroseconds} µs`);
      assert.ok((usage.peakMemoryBytes ?? 0) > 0);
    });

    if (method === "exit") {
      it("measures a run too short for any sample, and processes the group left behind briefly", async () => {
        const result = await runProcess(run("head -c 1000000 /dev/zero > short.bin; (sleep 0.05; head -c 300000 /dev/zero > late.bin) & exit 3"));
        assert.equal(result.exitCode, 3);
        assert.equal(result.usage?.method, "exit");
        // The background writer finished within the spawner's grace: its 300,000 bytes count too.
        assert.ok((result.usage?.writeBytes ?? 0) >= 1_300_000, `writeBytes ${result.usage?.writeBytes}`);
        assert.equal((await readFile(join(root, "wd", "late.bin"))).length, 300_000);
      });

      it("measures a run killed by a signal", async () => {
        const controller = new AbortController();
        const started = await startProcess(run("head -c 2000000 /dev/zero > killed.bin; exec sleep 30", { signal: controller.signal }));
        // Once the writes are done, kill it.
        const deadline = Date.now() + 10_000;
        while (!existsSync(join(root, "wd", "killed.bin")) || (await readFile(join(root, "wd", "killed.bin"))).length < 2_000_000) {
          assert.ok(Date.now() < deadline, "the write happens");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        controller.abort();
        const result = await started.result;
        assert.equal(result.killedBy, "abort");
        assert.ok((result.usage?.writeBytes ?? 0) >= 2_000_000, `writeBytes ${result.usage?.writeBytes}`);
      });
    }
  });
}

describe("sampling", () => {
  it("keeps the largest figures a group showed and forgets a group once stopped", async () => {
    const sampler = new GroupSampler(60_000);
    const root = await mkdtemp(join(tmpdir(), "ob-usage-sampler-"));
    try {
      const started = await startProcess({ argv: ["/bin/sh", "-c", "head -c 500000 /dev/zero > a.bin; sleep 2"], cwd: root, env: { PATH: basePath }, stdoutPath: join(root, "o"), stderrPath: join(root, "e"), launcher: spawner });
      sampler.track(started.pid);
      const deadline = Date.now() + 10_000;
      let seen = 0;
      while (seen < 500_000) {
        assert.ok(Date.now() < deadline, "the write shows in the group's I/O");
        await new Promise((resolve) => setTimeout(resolve, 50));
        await sampler.sample();
        seen = sampler.stop(started.pid)?.writeBytes ?? 0;
        if (seen < 500_000) sampler.track(started.pid);
      }
      assert.equal(sampler.stop(started.pid), undefined);
      process.kill(-started.pid, "SIGKILL");
      await started.result;
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("samples a node's memory (its running groups) and disk (its files, hard links once)", async () => {
    const root = await mkdtemp(join(tmpdir(), "ob-usage-node-"));
    try {
      await writeFile(join(root, "a.bin"), Buffer.alloc(10_000));
      await mkdir(join(root, "d"));
      await writeFile(join(root, "d", "b.bin"), Buffer.alloc(5_000));
      await link(join(root, "a.bin"), join(root, "d", "same.bin"));
      await symlink("/usr", join(root, "d", "elsewhere"));
      assert.equal(await directoryBytes(root), 15_000);
      const started = await startProcess({ argv: ["/bin/sleep", "30"], cwd: root, env: { PATH: basePath }, stdoutPath: join(root, "o"), stderrPath: join(root, "e"), launcher: spawner });
      const sampler = new NodeResourceSampler(() => [{ nodeId: "n", root, processGroups: new Set([started.pid]) }], 60_000);
      await sampler.sample();
      const sample = sampler.sampleOf("n");
      assert.ok(sample !== undefined);
      assert.ok(sample.memoryBytes > 0, "sleep has a resident set");
      assert.equal(sample.diskBytes, 15_000);
      process.kill(-started.pid, "SIGKILL");
      await started.result;
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

after(() => spawner.close());
