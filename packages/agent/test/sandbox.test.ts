/**
 * The task sandbox (process/sandbox.ts) with both launchers: what a confined process sees of the host, how paths are
 * translated, and that exit codes, kills and process groups work as for unconfined processes. CI runs as root, so
 * the `accounts` mode (dropping to an account inside the sandbox) is tested too, with `nobody` standing in for a
 * task's account.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  detectIsolation,
  nodeLauncher,
  ProcessLaunchError,
  runProcess,
  sandboxNodeRoot,
  spawnerBinary,
  SpawnerLauncher,
  startProcess,
  toSandboxPath,
  type Confinement,
  type Isolation,
  type Launcher,
  type RunProcessOptions,
} from "../src/index.js";

const basePath = process.env.PATH ?? "/usr/bin:/bin";
const nobody = { uid: 65534, gid: 65534 };

async function until(check: () => Promise<boolean>, what: string, timeoutInMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("isolation detection", () => {
  it("finds bubblewrap and, as root, account switching", async () => {
    const isolation = await detectIsolation(process.env, process.platform, process.getuid?.());
    assert.equal(isolation.mode, process.getuid?.() === 0 ? "accounts" : "sandbox", isolation.reason);
    assert.ok(isolation.tools?.systemDirectories.includes("/usr"));
  });

  it("reports no isolation, with the reason, when turned off or off Linux", async () => {
    assert.deepEqual(await detectIsolation({ ...process.env, OPENBATCH_AGENT_ISOLATION: "off" }, "linux", 0), { mode: "none", reason: "isolation is turned off (OPENBATCH_AGENT_ISOLATION=off)" });
    assert.equal((await detectIsolation(process.env, "darwin", 0)).mode, "none");
  });

  it("translates the node root in paths and path lists, and nothing that merely starts like it", () => {
    assert.equal(toSandboxPath("/d/nodes/p/n", "/d/nodes/p/n/shared"), `${sandboxNodeRoot}/shared`);
    assert.equal(toSandboxPath("/d/nodes/p/n", "/usr/bin:/d/nodes/p/n/shared:/d/nodes/p/n"), `/usr/bin:${sandboxNodeRoot}/shared:${sandboxNodeRoot}`);
    assert.equal(toSandboxPath("/d/nodes/p/n", "/d/nodes/p/n2/x"), "/d/nodes/p/n2/x");
  });
});

const launchers: [string, Launcher][] = [
  ["Node's child_process", nodeLauncher],
  ["openbatch-spawner", new SpawnerLauncher()],
];

for (const [launcherName, launcher] of launchers) describe(`confined processes with ${launcherName}`, () => {
  let isolation: Isolation;
  let outside: string;
  let nodeRoot: string;
  let tmp: string;
  let counter = 0;
  before(async () => {
    assert.ok(launcher === nodeLauncher || existsSync(spawnerBinary), "CI builds the spawner");
    isolation = await detectIsolation(process.env, process.platform, process.getuid?.());
    assert.notEqual(isolation.tools, undefined, `bubblewrap must work here: ${isolation.reason ?? ""}`);
    outside = await mkdtemp(join(tmpdir(), "ob-sandbox-"));
    await chmod(outside, 0o755);
    nodeRoot = join(outside, "nodes", "pool", "node");
    tmp = join(nodeRoot, "volatile", "tmp");
    await mkdir(join(nodeRoot, "wd"), { recursive: true });
    await mkdir(tmp, { recursive: true });
    await chmod(tmp, 0o1777);
    await writeFile(join(outside, "secret.txt"), "host secret");
  });
  after(async () => {
    await rm(outside, { recursive: true, force: true });
  });

  const confinement = (account?: { uid: number; gid: number }): Confinement => ({
    tools: isolation.tools as NonNullable<Isolation["tools"]>,
    nodeRoot,
    tmpDirectory: tmp,
    ...(account === undefined ? {} : { account }),
  });
  const options = (argv: string[], extra: Partial<RunProcessOptions> = {}): RunProcessOptions => {
    counter++;
    return {
      argv,
      cwd: join(nodeRoot, "wd"),
      env: { PATH: `${basePath}:${nodeRoot}/wd`, NODE_DIR: nodeRoot, HOME: join(nodeRoot, "wd") },
      stdoutPath: join(nodeRoot, `stdout-${counter}.txt`),
      stderrPath: join(nodeRoot, `stderr-${counter}.txt`),
      killGracePeriodInMs: 200,
      launcher,
      confinement: confinement(),
      ...extra,
    };
  };
  const output = async (run: RunProcessOptions) => {
    const result = await runProcess(run);
    return { result, stdout: await readFile(run.stdoutPath, "utf8"), stderr: await readFile(run.stderrPath, "utf8") };
  };

  it("shows the node at /mnt/batch/tasks, translates its paths, and hides the rest of the host", async () => {
    const script = [
      "pwd",
      'echo "$NODE_DIR|$HOME"',
      `test -e ${join(outside, "secret.txt")} && echo SECRET-VISIBLE || echo secret-hidden`,
      `test -e /proc/${process.pid} && echo HOST-PROCESS-VISIBLE || echo host-process-hidden`,
      "ls /proc | grep -c '^[0-9]'",
      "test -w /usr && echo USR-WRITABLE || echo usr-read-only",
      "echo node > /tmp/marker && echo tmp-written",
    ].join("; ");
    const { result, stdout } = await output(options(["/bin/sh", "-c", script]));
    assert.equal(result.exitCode, 0);
    const lines = stdout.trim().split("\n");
    assert.equal(lines[0], `${sandboxNodeRoot}/wd`);
    assert.equal(lines[1], `${sandboxNodeRoot}|${sandboxNodeRoot}/wd`);
    assert.deepEqual(lines.slice(2, 3), ["secret-hidden"]);
    assert.deepEqual(lines.slice(3, 4), ["host-process-hidden"]);
    assert.ok(Number(lines[4]) <= 5, `the sandbox has its own few processes, saw ${lines[4]}`);
    assert.deepEqual(lines.slice(5), ["usr-read-only", "tmp-written"]);
    assert.equal(await readFile(join(tmp, "marker"), "utf8"), "node\n", "the sandbox's /tmp is the node's volatile/tmp");
  });

  it("runs programs of the node and refuses programs it cannot see as CommandProgramNotFound", async () => {
    await writeFile(join(nodeRoot, "wd", "tool.sh"), "#!/bin/sh\necho tool ran in $(pwd)\n", { mode: 0o755 });
    await writeFile(join(outside, "outside.sh"), "#!/bin/sh\necho outside\n", { mode: 0o755 });
    assert.equal((await output(options(["./tool.sh"]))).stdout, `tool ran in ${sandboxNodeRoot}/wd\n`);
    assert.equal((await output(options(["tool.sh"]))).stdout, `tool ran in ${sandboxNodeRoot}/wd\n`, "found on PATH, whose node entries are translated");
    await assert.rejects(runProcess(options([join(outside, "outside.sh")])), (error: unknown) => error instanceof ProcessLaunchError && error.code === "CommandProgramNotFound");
    await assert.rejects(runProcess(options(["no-such-program-anywhere"])), (error: unknown) => error instanceof ProcessLaunchError && error.code === "CommandProgramNotFound");
  });

  it("passes exit codes and kills on timeout like an unconfined process", async () => {
    assert.equal((await runProcess(options(["/bin/sh", "-c", "exit 7"]))).exitCode, 7);
    const killed = await runProcess(options(["/bin/sh", "-c", "trap '' TERM; sleep 30"], { timeoutInMs: 100 }));
    assert.equal(killed.killedBy, "timeout");
    assert.ok(killed.exitCode === 137 || killed.exitCode === 143, `killed: ${killed.exitCode}`);
  });

  it("keeps background processes in the process group the agent kills", async () => {
    const started = await startProcess(options(["/bin/sh", "-c", "sleep 300 & echo $! > /tmp/background; echo started"]));
    assert.equal((await started.result).exitCode, 0);
    await until(async () => existsSync(join(tmp, "background")), "the background process to start");
    assert.equal(await groupAlive(started.pid), true, "the background sleep outlives the command, in its group");
    process.kill(-started.pid, "SIGKILL");
    await until(async () => !(await groupAlive(started.pid)), "the group to end");
  });

  it("as root, runs the process as the given account with no capabilities", async () => {
    // Fails rather than skips without root: CI runs the tests as root, and a run without it must not pass by testing less.
    assert.equal(process.getuid?.(), 0, "this test needs root");
    const { result, stdout } = await output(
      options(["/bin/sh", "-c", "id -u; id -g; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; touch /tmp/by-account && echo tmp-ok; touch /dev/shm/x && echo shm-ok; ls /mnt/batch/tasks/volatile >/dev/null && echo root-traversable; touch wd-file 2>/dev/null || echo wd-denied"], { confinement: confinement(nobody) }),
    );
    assert.equal(result.exitCode, 0);
    assert.deepEqual(stdout.trim().split("\n"), ["65534", "65534", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1", "tmp-ok", "shm-ok", "root-traversable", "wd-denied"]);
  });
});

/** Whether any process of the group still exists (zombies excluded: nothing reaps reparented ones in a container). */
async function groupAlive(pgid: number): Promise<boolean> {
  const { readdir } = await import("node:fs/promises");
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] !== "Z" && fields[2] === String(pgid)) return true;
  }
  return false;
}
