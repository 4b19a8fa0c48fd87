/**
 * Task isolation (docs/security.md): what an agent can do to keep a node's processes away from everything but their
 * node, and the bubblewrap (`bwrap`) invocation that does it.
 *
 * Modes, strongest first, chosen once when the agent starts (`detectIsolation`):
 * - `accounts`  the agent runs as root: every process runs in a sandbox *and* as the OS account of its Batch
 *               identity (nodes/taskIdentities.ts), dropped to inside the sandbox with `setpriv`;
 * - `sandbox`   the agent is unprivileged but may create user namespaces: every process runs in a sandbox, as the
 *               agent's own user (Batch identities are reported, not enforced);
 * - `none`      neither works (no bubblewrap, no namespaces, not Linux) or isolation was turned off
 *               (`OPENBATCH_AGENT_ISOLATION=off`): processes run as the agent's user with its view of the machine.
 *               The agent and the server say so loudly ("tasks are not isolated").
 *
 * The sandbox (`confine`): a new mount, PID, IPC and cgroup namespace. Inside, the node's directory tree is mounted
 * read-write at `/mnt/batch/tasks` (Azure's node root), its `volatile/tmp` at `/tmp`; the host's system directories
 * (/usr, /bin, /sbin, /lib*, /etc, /opt, /sys) read-only; a minimal /dev with a private /dev/shm, and a /proc of the
 * sandbox's own processes.
 * Nothing else of the host is there: no data directory, no other node, no home directories, no server process
 * (so neither its environment nor its command line). The network is the host's. Paths the agent hands the process
 * (working directory, environment values, the program) are translated from the host's node root to
 * `/mnt/batch/tasks`.
 *
 * The sandbox's first process is bwrap itself, which leads the process group the agent signals; when the task's
 * command exits, bwrap exits with its status (128 + signal number after a signal), while processes the command left
 * in the background live on in the sandbox, in the same process group, until the node kills its groups.
 */
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, lstat, mkdtemp, readlink, realpath, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { SpawnerLauncher, type Launcher, type LaunchRequest, type SpawnerCommand } from "./launchers.js";

export type IsolationMode = "accounts" | "sandbox" | "none";

export interface SandboxTools {
  readonly bwrap: string;
  /** Drops to the task's account inside the sandbox (`accounts` mode only). */
  readonly setpriv?: string;
  /** bwrap arguments that show the host's system directories read-only. */
  readonly systemArguments: readonly string[];
  /** The directories those arguments make visible, to tell whether a program can be found inside. */
  readonly systemDirectories: readonly string[];
  /**
   * The spawner binary that runs inside node sandboxes (nodeSandboxes.ts), when they work here; absent: each process
   * gets a sandbox of its own.
   */
  readonly spawner?: string;
}

export interface Isolation {
  readonly mode: IsolationMode;
  /** Why isolation is not stronger (absent in `accounts` mode). */
  readonly reason?: string;
  /** Present in `accounts` and `sandbox` modes. */
  readonly tools?: SandboxTools;
}

/** The sandbox's path of the node root: where Azure puts it on Linux nodes. */
export const sandboxNodeRoot = "/mnt/batch/tasks";

export function noIsolation(reason: string): Isolation {
  return { mode: "none", reason };
}

/** The sentence agents and the server print when processes are not isolated. */
export function isolationWarning(isolation: Pick<Isolation, "mode" | "reason">): string | undefined {
  if (isolation.mode === "accounts") return undefined;
  if (isolation.mode === "sandbox") {
    return `tasks are sandboxed but all run as the agent's OS user (${isolation.reason ?? "it is not root"}): Batch user identities are not enforced`;
  }
  return `tasks are not isolated: ${isolation.reason ?? "no sandbox is available"}; every task runs as the agent's OS user and can read whatever it can`;
}

/** One process to confine: its node, and the OS account to run as (accounts mode). */
export interface Confinement {
  readonly tools: SandboxTools;
  /** The node's root directory on the host, shown at `/mnt/batch/tasks`. */
  readonly nodeRoot: string;
  /** A directory of the node shown at `/tmp`. */
  readonly tmpDirectory: string;
  readonly account?: { readonly uid: number; readonly gid: number };
  /**
   * The node's long-lived sandbox for this account (nodeSandboxes.ts): the process starts there, through its
   * spawner, instead of in a bubblewrap sandbox of its own. Absent: a sandbox per process.
   */
  readonly sandbox?: Launcher;
}

/** Thrown when the program cannot be found where the sandbox can see it. */
export class ProgramNotVisible extends Error {
  override readonly name = "ProgramNotVisible";
}

/** `path` with the host's node root replaced by the sandbox's, wherever a path list or a path holds it. */
export function toSandboxPath(nodeRoot: string, text: string): string {
  if (!text.includes(nodeRoot)) return text;
  // Only whole path prefixes: the root followed by a separator, a path-list delimiter or the end.
  return text.replace(new RegExp(`${escapeRegExp(nodeRoot)}(?=$|[/${escapeRegExp(delimiter)}])`, "g"), sandboxNodeRoot);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isWithin(directory: string, path: string): boolean {
  return path === directory || path.startsWith(directory.endsWith(sep) ? directory : directory + sep);
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The program's host path as the sandbox would run it: looked up like execvp (a name with a `/` against the working
 * directory, otherwise each `PATH` entry) among what the sandbox shows — the node's tree and the system directories.
 * Throws ProgramNotVisible when there is none, so the run fails as `CommandProgramNotFound` rather than starting a
 * sandbox that cannot exec it.
 */
export async function resolveVisibleProgram(program: string, environmentPath: string, cwd: string, confinement: Confinement): Promise<string> {
  const visible = (path: string): boolean => isWithin(confinement.nodeRoot, path) || confinement.tools.systemDirectories.some((directory) => isWithin(directory, path));
  const candidates = program.includes("/")
    ? [resolve(cwd, program)]
    : environmentPath.split(delimiter).map((entry) => (entry === "" ? join(cwd, program) : join(isAbsolute(entry) ? entry : resolve(cwd, entry), program)));
  for (const candidate of candidates) {
    if (!visible(candidate)) continue;
    if (await isExecutableFile(candidate)) return candidate;
  }
  throw new ProgramNotVisible(`The program '${program}' was not found in the node's directories or the system directories a sandboxed task can see.`);
}

/** The bwrap arguments that make a node's sandbox: its mounts and namespaces (the module comment). */
export function sandboxArguments(confinement: Pick<Confinement, "tools" | "nodeRoot" | "tmpDirectory">): string[] {
  return [
    ...confinement.tools.systemArguments,
    "--dev", "/dev",
    // A private, world-writable /dev/shm (POSIX semaphores and shared memory), as on any Linux host.
    "--perms", "1777", "--tmpfs", "/dev/shm",
    "--proc", "/proc",
    // Directories bwrap makes on its own are 0700: /mnt/batch must be traversable by the task's account.
    "--dir", "/mnt", "--dir", "/mnt/batch",
    "--bind", confinement.nodeRoot, sandboxNodeRoot,
    "--bind", confinement.tmpDirectory, "/tmp",
    "--unshare-pid", "--unshare-ipc", "--unshare-cgroup-try",
  ];
}

/** Where the spawner's binary is shown inside a node sandbox. */
const spawnerInside = "/.openbatch/spawner";

/**
 * The command that starts a node's long-lived sandbox with the spawner as its first process (nodeSandboxes.ts):
 * as root, with only the capabilities the spawner needs to run processes as `account` (spawner.c `--drop`).
 */
export function nodeSandboxCommand(
  tools: SandboxTools,
  spawner: string,
  place: Pick<Confinement, "nodeRoot" | "tmpDirectory" | "account">,
  onEmpty?: () => void,
): SpawnerCommand {
  const account = place.account;
  const args = [
    ...sandboxArguments({ tools, nodeRoot: place.nodeRoot, tmpDirectory: place.tmpDirectory }),
    "--as-pid-1", "--die-with-parent",
    "--ro-bind", spawner, spawnerInside,
    ...(account === undefined
      ? ["--", spawnerInside]
      : ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP", "--", spawnerInside, "--drop", String(account.uid), String(account.gid)]),
  ];
  return { program: tools.bwrap, args, sandboxed: true, ...(onEmpty === undefined ? {} : { onEmpty }) };
}

/**
 * The request that runs `request` confined: bwrap with the sandbox's mounts, then (accounts mode) setpriv dropping
 * every privilege for the account, then the program. `program` must be a host path from `resolveVisibleProgram`.
 */
export function confine(request: LaunchRequest, program: string, confinement: Confinement): LaunchRequest {
  const { tools, nodeRoot } = confinement;
  const inside = (text: string): string => toSandboxPath(nodeRoot, text);
  const args: string[] = [...sandboxArguments(confinement), "--chdir", inside(request.cwd)];
  if (confinement.account !== undefined) {
    if (tools.setpriv === undefined) throw new Error("Running a task as its account needs setpriv.");
    const { uid, gid } = confinement.account;
    // Only these two capabilities survive into the sandbox, and setpriv gives them up with everything else.
    args.push("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", tools.setpriv, `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--");
  } else {
    args.push("--");
  }
  args.push(inside(program), ...request.args);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.env)) env[name] = inside(value);
  return { ...request, program: tools.bwrap, args, env };
}

/**
 * The request as a node's long-lived sandbox runs it: every path (program, working directory, output files,
 * environment values) translated to the sandbox's view of the node. `program` must be a host path from
 * `resolveVisibleProgram`.
 */
export function insideSandbox(request: LaunchRequest, program: string, nodeRoot: string): LaunchRequest {
  const inside = (text: string): string => toSandboxPath(nodeRoot, text);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.env)) env[name] = inside(value);
  return { ...request, program: inside(program), cwd: inside(request.cwd), stdoutPath: inside(request.stdoutPath), stderrPath: inside(request.stderrPath), env };
}

function run(command: string, args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    execFile(command, args, { timeout: 15_000, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } }, (error, stdout, stderr) => {
      done({ ok: error === null, output: `${stdout}${stderr}`.trim() });
    });
  });
}

async function findProgram(name: string, searchPath: string): Promise<string | undefined> {
  for (const directory of [...searchPath.split(delimiter), "/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    if (directory === "" || !isAbsolute(directory)) continue;
    const candidate = join(directory, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

const systemCandidates = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/sys"];

/** bwrap arguments showing this host's system directories (symlinks such as merged-/usr `/bin` kept as symlinks). */
export async function systemView(): Promise<Pick<SandboxTools, "systemArguments" | "systemDirectories">> {
  const systemArguments: string[] = [];
  const systemDirectories: string[] = [];
  for (const directory of systemCandidates) {
    const stats = await lstat(directory).catch(() => undefined);
    if (stats === undefined) continue;
    if (stats.isSymbolicLink()) {
      systemArguments.push("--symlink", await readlink(directory), directory);
      systemDirectories.push(directory);
    } else if (stats.isDirectory()) {
      systemArguments.push("--ro-bind", directory, directory);
      systemDirectories.push(directory);
    }
  }
  // A resolv.conf managed elsewhere (systemd-resolved, resolvconf) points into /run: show that directory too.
  const resolver = await realpath("/etc/resolv.conf").catch(() => undefined);
  if (resolver !== undefined && !systemDirectories.some((directory) => isWithin(directory, resolver))) {
    systemArguments.push("--ro-bind-try", dirname(resolver), dirname(resolver));
  }
  return { systemArguments, systemDirectories };
}

/** Runs `/bin/true` through a node sandbox on `scratch`, as the agent's tasks would run; ok when it exits 0. */
async function probeNodeSandbox(tools: SandboxTools, spawner: string, scratch: string, account: Confinement["account"]): Promise<{ ok: boolean; output: string }> {
  const launcher = new SpawnerLauncher(nodeSandboxCommand(tools, spawner, { nodeRoot: scratch, tmpDirectory: scratch, ...(account === undefined ? {} : { account }) }));
  try {
    const launched = await launcher.launch({ program: "/bin/true", args: [], cwd: "/", env: {}, stdoutPath: `${sandboxNodeRoot}/probe.out`, stderrPath: `${sandboxNodeRoot}/probe.err`, outputMode: "truncate" });
    const status = await launched.exited;
    return { ok: status.code === 0, output: `exit ${String(status.code ?? status.signal)}` };
  } catch (error) {
    return { ok: false, output: (error as Error).message };
  } finally {
    await launcher.close();
  }
}

/**
 * What this agent can do to isolate processes, probed by running `/bin/true` the way tasks will run (so a kernel
 * that forbids namespaces, or a missing setpriv, shows up here and not in the first task). Given the spawner
 * binary, node sandboxes (nodeSandboxes.ts) are probed first and used when they work; otherwise every process gets
 * a sandbox of its own.
 */
export async function detectIsolation(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, uid: number | undefined, spawner?: string): Promise<Isolation> {
  if (env["OPENBATCH_AGENT_ISOLATION"] === "off") return noIsolation("isolation is turned off (OPENBATCH_AGENT_ISOLATION=off)");
  if (platform !== "linux") return noIsolation(`the agent runs on ${platform}; sandboxes need Linux namespaces`);
  const searchPath = env["PATH"] ?? "";
  const bwrap = await findProgram("bwrap", searchPath);
  if (bwrap === undefined) return noIsolation("bubblewrap (bwrap) is not installed");
  const root = uid === 0;
  const setpriv = root ? await findProgram("setpriv", searchPath) : undefined;
  if (root && setpriv === undefined) return noIsolation("setpriv (util-linux) is not installed, so tasks cannot be run as their own accounts");
  const view = await systemView();
  const tools: SandboxTools = { bwrap, ...(setpriv === undefined ? {} : { setpriv }), ...view };
  const scratch = await mkdtemp(join(tmpdir(), "openbatch-isolation-probe-"));
  let result: { ok: boolean; output: string };
  try {
    if (spawner !== undefined && env["OPENBATCH_AGENT_NODE_SANDBOXES"] !== "off") {
      // An empty node tree; nobody (65534) stands in for a task's account.
      const sandboxed = await probeNodeSandbox(tools, spawner, scratch, root ? { uid: 65534, gid: 65534 } : undefined);
      if (sandboxed.ok) return root ? { mode: "accounts", tools: { ...tools, spawner } } : { mode: "sandbox", reason: "the agent does not run as root, so it cannot switch users", tools: { ...tools, spawner } };
    }
    // An empty node tree; nobody (65534) stands in for a task's account.
    const probe = confine(
      { program: "/bin/true", args: [], cwd: scratch, env: {}, stdoutPath: "", stderrPath: "", outputMode: "truncate" },
      "/bin/true",
      { tools, nodeRoot: scratch, tmpDirectory: scratch, ...(root ? { account: { uid: 65534, gid: 65534 } } : {}) },
    );
    result = await run(probe.program, probe.args);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (!result.ok) return noIsolation(`bubblewrap cannot create a sandbox here (${result.output.split("\n")[0] ?? "unknown error"})`);
  if (!root) return { mode: "sandbox", reason: "the agent does not run as root, so it cannot switch users", tools };
  return { mode: "accounts", tools };
}
