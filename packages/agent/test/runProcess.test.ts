import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { existsSync } from "node:fs";
import {
  nodeLauncher,
  ProcessLaunchError,
  runProcess,
  spawnerBinary,
  SpawnerLauncher,
  splitCommandLine,
  startProcess,
  type Launcher,
  type RunProcessOptions,
} from "../src/index.js";

async function until(check: () => Promise<boolean>, what: string, timeoutInMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether a process runs (a zombie waiting for a reaper that may not exist in a container does not count). */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

const basePath = process.env.PATH ?? "/usr/bin:/bin";

// The spawner is built on `npm ci`/`npm run build` where a C compiler exists; CI installs one. Its suites fail
// without it rather than skip, so a run without it never passes by testing less.
const spawnerMissing = process.platform !== "linux" ? "not Linux" : !existsSync(spawnerBinary) ? "openbatch-spawner not built (no C compiler)" : false;
const launchers: [string, Launcher, string | false][] = [
  ["Node's child_process", nodeLauncher, false],
  ["openbatch-spawner", new SpawnerLauncher(), spawnerMissing],
];

for (const [launcherName, launcher, missing] of launchers) describe(`runProcess with ${launcherName}`, () => {
  let directory: string;
  let counter = 0;
  before(async () => {
    assert.equal(missing, false, `the launcher must be available: ${String(missing)}`);
    directory = await mkdtemp(join(tmpdir(), "ob-agent-process-"));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const options = (commandLine: string, extra: Partial<RunProcessOptions> = {}): RunProcessOptions => {
    counter++;
    return {
      argv: splitCommandLine(commandLine),
      cwd: directory,
      env: { PATH: basePath },
      stdoutPath: join(directory, `stdout-${counter}.txt`),
      stderrPath: join(directory, `stderr-${counter}.txt`),
      killGracePeriodInMs: 200,
      launcher,
      ...extra,
    };
  };

  it("kills a process whose abort arrived while it was being started", async () => {
    const controller = new AbortController();
    const pending = runProcess(options("/bin/sleep 30", { signal: controller.signal }));
    // Abort once the start-up (stat, open, spawn) is under way but before the process is running.
    await Promise.resolve();
    controller.abort(new Error("killed at the server's request"));
    const started = Date.now();
    const result = await pending.catch((error: unknown) => error);
    assert.ok(Date.now() - started < 10_000, "the process must not run its 30 seconds");
    if (!(result instanceof ProcessLaunchError)) assert.equal((result as { killedBy?: string }).killedBy, "abort");
  });

  it("reports the exit code", async () => {
    const result = await runProcess(options("/bin/sh -c 'exit 3'"));
    assert.equal(result.exitCode, 3);
    assert.equal(result.signal, null);
    assert.ok(result.endTime.getTime() >= result.startTime.getTime());
  });

  it("writes stdout and stderr to their files, truncating what was there", async () => {
    const run = options(`/bin/sh -c "echo out; echo err >&2"`);
    await writeFile(run.stdoutPath, "old content that is longer\n");
    const result = await runProcess(run);
    assert.equal(result.exitCode, 0);
    assert.equal(await readFile(run.stdoutPath, "utf8"), "out\n");
    assert.equal(await readFile(run.stderrPath, "utf8"), "err\n");
  });

  it("appends when asked", async () => {
    const run = options("echo again", { outputMode: "append" });
    await writeFile(run.stdoutPath, "first\n");
    await runProcess(run);
    assert.equal(await readFile(run.stdoutPath, "utf8"), "first\nagain\n");
  });

  it("passes exactly the given environment", async () => {
    const run = options("/bin/sh -c 'echo \"$GREETING|${HOME-unset}\"'", { env: { PATH: basePath, GREETING: "hi there" } });
    await runProcess(run);
    assert.equal(await readFile(run.stdoutPath, "utf8"), "hi there|unset\n");
  });

  it("runs in the working directory", async () => {
    const run = options("pwd");
    await runProcess(run);
    assert.equal((await readFile(run.stdoutPath, "utf8")).trim(), directory);
  });

  it("does not expand variables or globs: no shell is involved", async () => {
    const run = options("echo $HOME * ~ 'a|b' `id`", { env: { PATH: basePath, HOME: "/should/not/appear" } });
    await runProcess(run);
    assert.equal(await readFile(run.stdoutPath, "utf8"), "$HOME * ~ a|b `id`\n");
  });

  it("finds programs on the given PATH, including the working directory", async () => {
    await writeFile(join(directory, "hello-script"), "#!/bin/sh\necho from script\n", { mode: 0o755 });
    const run = options("hello-script", { env: { PATH: `${basePath}:${directory}` } });
    await runProcess(run);
    assert.equal(await readFile(run.stdoutPath, "utf8"), "from script\n");
  });

  it("rejects with CommandProgramNotFound for a missing program", async () => {
    await assert.rejects(runProcess(options("/no/such/program arg")), (error: unknown) => {
      assert.ok(error instanceof ProcessLaunchError);
      assert.equal(error.code, "CommandProgramNotFound");
      return true;
    });
    await assert.rejects(runProcess(options("no-such-program-on-path")), { code: "CommandProgramNotFound" });
  });

  it("rejects with CommandLaunchFailed for an empty command line, a missing cwd or a non-executable file", async () => {
    await assert.rejects(runProcess(options("")), { code: "CommandLaunchFailed" });
    await assert.rejects(runProcess(options("echo", { cwd: join(directory, "missing") })), { code: "CommandLaunchFailed" });
    await writeFile(join(directory, "not-executable"), "echo\n", { mode: 0o644 });
    await assert.rejects(runProcess(options("./not-executable")), { code: "CommandLaunchFailed" });
  });

  it("refuses a NUL in the program, an argument, an environment name or value, without starting anything", async () => {
    const marker = join(directory, `nul-${counter}`);
    const attempts: Partial<RunProcessOptions>[] = [
      { argv: ["/bin/touch", `${marker}\u0000x`] },
      { argv: ["/bin/touch\u0000", marker] },
      { argv: ["/bin/touch", marker], env: { PATH: basePath, VALUE: "a\u0000X=injected" } },
      { argv: ["/bin/touch", marker], env: { PATH: basePath, "NA\u0000ME": "v" } },
    ];
    for (const attempt of attempts) {
      await assert.rejects(runProcess(options("unused", attempt)), (error: unknown) => error instanceof ProcessLaunchError && error.code === "CommandLaunchFailed" && /NUL/.test(error.message));
    }
    assert.equal(existsSync(marker), false, "no attempt ran");
  });

  it("does not open an output file through a symbolic link", async () => {
    const target = join(directory, "link-target.txt");
    await writeFile(target, "precious");
    const link = join(directory, "stdout-link.txt");
    await symlink(target, link);
    await assert.rejects(runProcess(options("/bin/echo overwritten", { stdoutPath: link })), (error: unknown) => error instanceof ProcessLaunchError && error.code === "CommandLaunchFailed");
    assert.equal(await readFile(target, "utf8"), "precious");
  });

  it("kills a process that ignores SIGTERM when its timeout passes (SIGKILL → 137)", async () => {
    const run = options(`/bin/sh -c "trap '' TERM; echo ready; sleep 30"`, { timeoutInMs: 200 });
    const result = await runProcess(run);
    assert.equal(result.killedBy, "timeout");
    assert.equal(result.signal, "SIGKILL");
    assert.equal(result.exitCode, 137);
  });

  it("ends a process on SIGTERM when aborted (→ 143)", async () => {
    const controller = new AbortController();
    const started = await startProcess(options("sleep 30", { signal: controller.signal }));
    controller.abort();
    const result = await started.result;
    assert.equal(result.killedBy, "abort");
    assert.equal(result.signal, "SIGTERM");
    assert.equal(result.exitCode, 143);
  });

  it("kills the whole process group, not only the leader", async () => {
    const controller = new AbortController();
    const pidFile = join(directory, "child.pid");
    // The child ignores SIGTERM; the leader does not. SIGKILL to the group must still take the child.
    const started = await startProcess(
      options(`/bin/sh -c "sh -c 'trap \\"\\" TERM; sleep 30' & echo $! > ${pidFile}; wait"`, { signal: controller.signal }),
    );
    let childPid: number | undefined;
    for (let i = 0; i < 100 && childPid === undefined; i++) {
      const text = await readFile(pidFile, "utf8").catch(() => "");
      if (text.trim() !== "") childPid = Number(text.trim());
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(childPid !== undefined, "the child started");
    controller.abort();
    await started.result;
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      alive = await isAlive(childPid);
      if (alive) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(alive, false, "the child of the killed leader is gone");
  });
});

describe("openbatch-spawner", () => {
  let directory: string;
  before(async () => {
    // Fails rather than skips: CI builds the spawner (gcc is installed), and without it this suite would test nothing.
    assert.equal(spawnerMissing, false, `the spawner must be built (npm run build with a C compiler): ${String(spawnerMissing)}`);
    directory = await mkdtemp(join(tmpdir(), "ob-agent-spawner-"));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  const request = (name: string, argv: string[], env: Record<string, string> = { PATH: basePath }) => ({
    program: argv[0] as string,
    args: argv.slice(1),
    cwd: directory,
    env,
    stdoutPath: join(directory, `${name}.out`),
    stderrPath: join(directory, `${name}.err`),
    outputMode: "truncate" as const,
  });

  it("starts many processes at once and reports each exit to its own caller", async () => {
    const spawner = new SpawnerLauncher();
    try {
      const launched = await Promise.all(Array.from({ length: 64 }, (_, i) => spawner.launch(request(`many-${i}`, ["/bin/sh", "-c", `echo ${i}; exit ${i % 7}`]))));
      const statuses = await Promise.all(launched.map((process) => process.exited));
      assert.deepEqual(statuses.map((status) => status.code), Array.from({ length: 64 }, (_, i) => i % 7));
      assert.equal(new Set(launched.map((process) => process.pid)).size, 64);
      assert.equal(await readFile(join(directory, "many-42.out"), "utf8"), "42\n");
    } finally {
      spawner.close();
    }
  });

  it("carries large environments and arguments with any bytes but NUL", async () => {
    const spawner = new SpawnerLauncher();
    try {
      const big = "x".repeat(100_000); // one string may hold at most 128 KiB (MAX_ARG_STRLEN)
      const odd = "a b\t'\"$HOME;|&\n\u00e9\u4e2d";
      const launched = await spawner.launch(request("big", ["/bin/sh", "-c", 'printf "%s|%s|%s" "${#BIG}" "$ODD" "$1"', "sh", odd], { PATH: basePath, BIG: big, ODD: odd }));
      assert.equal((await launched.exited).code, 0);
      assert.equal(await readFile(join(directory, "big.out"), "utf8"), `100000|${odd}|${odd}`);
    } finally {
      spawner.close();
    }
  });

  it("delimits fields by length and fails a field holding a NUL instead of cutting it short (raw frames)", async () => {
    const field = (text: string) => {
      const bytes = Buffer.from(text, "utf8");
      const header = Buffer.alloc(4);
      header.writeUInt32LE(bytes.length);
      return Buffer.concat([header, bytes]);
    };
    const frame = (id: string, env: string[]) => {
      const fields = [id, directory, join(directory, `raw-${id}.out`), join(directory, `raw-${id}.err`), "w", "3", "/bin/sh", "-c", 'printf "%s|%s" "$A" "${X-unset}"', String(env.length), ...env];
      const payload = Buffer.concat(fields.map(field));
      const header = Buffer.alloc(4);
      header.writeUInt32LE(payload.length);
      return Buffer.concat([header, payload]);
    };
    const child = spawn(spawnerBinary, [], { stdio: ["pipe", "pipe", "inherit"] });
    let replies = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (replies += chunk));
    // What a NUL-terminated frame turned into a new variable (issue #15): here it must fail the request whole.
    child.stdin.write(frame("1", [`PATH=${basePath}`, "A=x\u0000X=injected"]));
    // Values with '=', newlines and multi-byte characters arrive as they were sent.
    child.stdin.write(frame("2", [`PATH=${basePath}`, "A=k=v\nline\u00e9"]));
    // Until the second process was reaped (`X <pid> 0 0 …`): then its output is complete.
    await until(async () => {
      const pid = /^S 2 (\d+)$/m.exec(replies)?.[1];
      return pid !== undefined && new RegExp(`^X ${pid} 0 0 `, "m").test(replies);
    }, "the second request's process to exit");
    child.stdin.end();
    await new Promise((resolve) => child.once("close", resolve));
    assert.match(replies, /^F 1 22 exec$/m, replies);
    assert.equal(existsSync(join(directory, "raw-1.out")), false);
    assert.equal(await readFile(join(directory, "raw-2.out"), "utf8"), "k=v\nline\u00e9|unset");
  });

  it("reports the signal that ended a process", async () => {
    const spawner = new SpawnerLauncher();
    try {
      const launched = await spawner.launch(request("signalled", ["/bin/sleep", "30"]));
      process.kill(-launched.pid, "SIGTERM");
      const { usage, ...status } = await launched.exited;
      assert.deepEqual(status, { code: null, signal: "SIGTERM" });
      assert.equal(usage?.method, "exit");
    } finally {
      spawner.close();
    }
  });

  it("refuses an output file it cannot open, naming the stage", async () => {
    const spawner = new SpawnerLauncher();
    try {
      await assert.rejects(spawner.launch({ ...request("x", ["/bin/true"]), stdoutPath: join(directory, "missing", "out.txt") }), { name: "LaunchError", stage: "open", code: "ENOENT" });
    } finally {
      spawner.close();
    }
  });

  it("when the spawner dies, kills what it started and reports it lost; the next launch starts a new spawner", async () => {
    const spawner = new SpawnerLauncher();
    try {
      const launched = await spawner.launch(request("orphan", ["/bin/sleep", "30"]));
      const spawnerPid = Number((await readFile(`/proc/${launched.pid}/stat`, "utf8")).slice(0).split(") ")[1]?.split(" ")[1]);
      process.kill(spawnerPid, "SIGKILL");
      assert.deepEqual(await launched.exited, { code: null, signal: "SIGKILL", lost: true });
      const next = await spawner.launch(request("after", ["/bin/sh", "-c", "exit 5"]));
      assert.equal((await next.exited).code, 5);
    } finally {
      spawner.close();
    }
  });
});
