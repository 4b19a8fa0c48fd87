/**
 * A throwaway single-node Slurm cluster for tests and benchmarks: `munged`, `slurmctld` and `slurmd` from Debian's
 * `munge` and `slurm-wlm`, started as foreground children (so they are stopped by PID), with their configuration,
 * key, sockets, state and logs in a temporary directory and their ports picked free, so several clusters (and the
 * host's own Slurm, if any) never meet. It needs root (slurmd starts jobs as their submitting user) and no systemd.
 *
 * Slurm's commands find the cluster through `SLURM_CONF`: run them with `cluster.env`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./waitFor.js";

export interface SlurmClusterOptions {
  /** CPUs the one node declares. @default 2 */
  readonly cpus?: number;
  /** Memory the node declares, in MiB. @default 4000 */
  readonly realMemoryInMiB?: number;
  /** Jobs that may share one core (`OverSubscribe=FORCE:n`): pilot jobs mostly wait, so they may share. @default 8 */
  readonly oversubscribe?: number;
  /** Seconds a finished job stays visible to `squeue -t all` (`MinJobAge`). @default 2 */
  readonly minJobAgeInSeconds?: number;
  /** Extra `slurm.conf` lines (e.g. a second partition). */
  readonly extraConfig?: readonly string[];
}

export interface SlurmCluster {
  readonly directory: string;
  /** The node's name in Slurm (this host's short name, which slurmd must match). */
  readonly nodeName: string;
  readonly partition: string;
  /** The environment Slurm's commands need (`SLURM_CONF`), on top of this process's. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a Slurm command (`sbatch`, `squeue`, `scancel`, `scontrol`…) against this cluster; throws on failure. */
  run(command: string, args: readonly string[]): string;
  /** The job ids Slurm knows and their states (`squeue`), e.g. `{ "12": "RUNNING" }`. */
  jobs(): Record<string, string>;
  /** Stops the daemons (SIGTERM, then SIGKILL) and removes the directory. */
  stop(): Promise<void>;
}

const required = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"];

export async function startSlurmCluster(options: SlurmClusterOptions = {}): Promise<SlurmCluster> {
  const missing = required.filter((command) => spawnSync("sh", ["-c", `command -v ${command}`]).status !== 0);
  if (missing.length > 0) throw new Error(`Slurm is not installed (missing ${missing.join(", ")}): apt-get install -y slurm-wlm munge`);
  if (process.getuid?.() !== 0) throw new Error("a test Slurm cluster needs root (slurmd starts jobs as their users)");

  const directory = mkdtempSync(join(tmpdir(), "openbatch-slurm-"));
  const path = (name: string) => join(directory, name);
  mkdirSync(path("state"));
  mkdirSync(path("spool"));
  writeFileSync(path("munge.key"), randomBytes(1024));
  chmodSync(path("munge.key"), 0o400);
  const nodeName = hostname().split(".")[0]!;
  const [controllerPort, nodePort] = [await freePort(), await freePort()];
  const partition = "debug";
  const config = [
    `ClusterName=ob${randomBytes(3).toString("hex")}`,
    `SlurmctldHost=${nodeName}`,
    `SlurmctldPort=${controllerPort}`,
    `SlurmdPort=${nodePort}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    `AuthInfo=socket=${path("munge.socket")}`,
    "CredType=cred/munge",
    `StateSaveLocation=${path("state")}`,
    `SlurmdSpoolDir=${path("spool")}`,
    `SlurmctldPidFile=${path("slurmctld.pid")}`,
    `SlurmdPidFile=${path("slurmd.pid")}`,
    `SlurmctldLogFile=${path("slurmctld.log")}`,
    `SlurmdLogFile=${path("slurmd.log")}`,
    // No cgroups: the test machine may have no delegated cgroup tree, and plain process tracking is enough here.
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "MpiDefault=none",
    "SwitchType=switch/none",
    "ReturnToService=2",
    "SchedulerType=sched/backfill",
    // Keep finished jobs out of squeue quickly, and let a cancelled job's processes go at once.
    `MinJobAge=${options.minJobAgeInSeconds ?? 2}`,
    "KillWait=2",
    `NodeName=${nodeName} CPUs=${options.cpus ?? 2} RealMemory=${options.realMemoryInMiB ?? 4000} State=UNKNOWN`,
    `PartitionName=${partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:${options.oversubscribe ?? 8}`,
    ...(options.extraConfig ?? []),
  ];
  writeFileSync(path("slurm.conf"), `${config.join("\n")}\n`);
  const env = { ...process.env, SLURM_CONF: path("slurm.conf") };

  const daemons: ChildProcess[] = [];
  const start = (command: string, args: string[]) => {
    // Their stderr goes to a file, never to a pipe: a daemon logging into a pipe that this process does not drain
    // (its event loop busy in spawnSync) blocks, and slurmctld then stalls every RPC.
    const stderr = openSync(path(`${command}.stderr`), "a");
    // setpriv --pdeathsig: the daemons die with this process even when it is killed and cannot stop them itself.
    const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", command, ...args], { env, stdio: ["ignore", "ignore", stderr] });
    closeSync(stderr);
    child.on("exit", (code, signal) => {
      if (!stopping) failures.push(`${command} exited (${code ?? signal}): ${tail(path(`${command}.stderr`))}`);
    });
    daemons.push(child);
  };
  let stopping = false;
  const failures: string[] = [];
  const stop = async () => {
    // Jobs first: their slurmstepd processes would outlive the daemons.
    if (!stopping && failures.length === 0) {
      spawnSync("scancel", ["--full", "--user=root"], { env });
      await waitFor("the cluster's jobs to end", async () => spawnSync("squeue", ["-h", "-t", "running,completing"], { env, encoding: "utf8" }).stdout.trim() === "", 20_000).catch(() => undefined);
    }
    stopping = true;
    for (const daemon of daemons.reverse()) await terminate(daemon);
    rmSync(directory, { recursive: true, force: true });
  };

  const run = (command: string, args: readonly string[]): string => {
    const result = spawnSync(command, args, { env, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal}): ${result.stderr.trim()}`);
    return result.stdout;
  };
  try {
    start("munged", ["--foreground", "--force", `--socket=${path("munge.socket")}`, `--key-file=${path("munge.key")}`,
      `--log-file=${path("munged.log")}`, `--pid-file=${path("munged.pid")}`, `--seed-file=${path("munged.seed")}`]);
    await waitFor("munged to listen", async () => (failures.length > 0 ? raise(failures) : spawnSync("test", ["-S", path("munge.socket")]).status === 0), 20_000);
    start("slurmctld", ["-D", "-i", "-f", path("slurm.conf")]);
    start("slurmd", ["-D", "-f", path("slurm.conf"), "-N", nodeName]);
    await waitFor(
      "the Slurm node to be idle",
      async () => {
        if (failures.length > 0) raise(failures);
        // One line per partition the node is in.
        const states = spawnSync("sinfo", ["-h", "-N", "-o", "%T"], { env, encoding: "utf8" }).stdout.trim().split("\n");
        return states.every((state) => state.trim() === "idle");
      },
      60_000,
      100,
    );
  } catch (error) {
    const logs = ["slurmctld.log", "slurmd.log"].map((name) => `${name}:\n${tail(path(name))}`).join("\n");
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }

  return {
    directory,
    nodeName,
    partition,
    env,
    run,
    jobs() {
      const lines = run("squeue", ["-h", "-o", "%i %T"]).trim();
      return Object.fromEntries(lines === "" ? [] : lines.split("\n").map((line) => line.trim().split(/\s+/) as [string, string]));
    },
    stop,
  };
}

function raise(failures: readonly string[]): never {
  throw new Error(failures.join("\n"));
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "(none)";
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
