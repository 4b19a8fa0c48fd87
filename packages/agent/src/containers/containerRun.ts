/**
 * Runs one process of a node in a container (a task, job manager, preparation, release or start task with
 * `containerSettings`), with the same contract as runProcess.ts: stdout/stderr to the task's files, exit code,
 * wall-clock and abort kills, a StartedProcess whose result resolves once it is over. docs/containers.md and
 * docs/security.md say why it is built this way; in short:
 *
 * 1. The image is made present (images.ts: pulled with the run's credentials, or vouched for by a recent pull with
 *    the same ones) and the container made from the image ID that gave; `containerRunOptions` are checked again
 *    (core rules, this node's account policy) and their node paths translated — a bind through a link that leaves
 *    the node is refused.
 * 2. `<runtime> create` makes the container: named after the run, labelled with its node, in the host's network
 *    (as process tasks and Azure's container tasks are), NET_RAW dropped, the node's tree (or the
 *    `containerHostBatchBindMounts` chosen) at `/mnt/batch/tasks`, the working directory there, and the task's
 *    environment with paths translated (PATH excepted: the image's programs are on the image's PATH). Variable
 *    values travel through the runtime's environment (`--env NAME`), never on its command line, where other users
 *    could read them. The task runs as its identity's OS account (accounts mode, non-admin; no new privileges),
 *    as root in the container for admin identities (as on Azure), or rootless podman's user.
 * 3. `<runtime> start --attach` is the process the agent launches and watches (spawner or Node, like any task):
 *    it streams the container's output into stdout.txt/stderr.txt and exits with the container's exit code;
 *    terminate and wall-clock kills signal it, and it passes SIGTERM on to the container.
 * 4. Whatever ended it, the container is then removed with `rm --force` (which kills it first if it still runs),
 *    so a kill never leaves a container behind; the result resolves after that, with the container's id and
 *    state for executionInfo.containerInfo (`exited`; when the runtime itself failed to start it — its exit codes
 *    125–127 — the state and error the runtime reports).
 *
 * Failures before the container starts throw a ContainerRunError with Azure's code: ContainerInvalidImage,
 * ContainerInvalidRegistry, ContainerInvalidSettings (refused options, a bad working directory), ContainerMiscError.
 */
import { createHash } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { checkContainerRunOptions, containerNodeRoot, containerRunArguments, ContainerOptionsError } from "@openbatch/core";
import type { ContainerHostBatchBindMountEntry, ContainerRegistry, TaskContainerExecutionInformation, TaskContainerSettings } from "@openbatch/protocol";
import { startProcess, type ProcessResult, type RunProcessOptions, type StartedProcess } from "../process/runProcess.js";
import { toSandboxPath } from "../process/sandbox.js";
import { credentialsFor, ensureImage, forgetImage, ImageError, qualifyOrFail } from "./images.js";
import { isRuntimeVariable, runtimeCommand, runtimeMessage, type ContainerRuntime } from "./runtime.js";

export type ContainerFailureCode = "ContainerInvalidImage" | "ContainerInvalidRegistry" | "ContainerInvalidSettings" | "ContainerMiscError";

export class ContainerRunError extends Error {
  override readonly name = "ContainerRunError";
  constructor(
    readonly code: ContainerFailureCode,
    message: string,
    /** The runtime's own words, for failureInfo.details. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The label every container of a node carries, so that the node can remove what a crash left behind. */
export const nodeLabel = "openbatch.node";

/** A node's label value: its host path, hashed (several agents and data directories may share one runtime). */
export function nodeLabelValue(nodeRoot: string): string {
  return createHash("sha256").update(nodeRoot).digest("hex").slice(0, 32);
}

export interface ContainerProcessOptions extends Omit<RunProcessOptions, "confinement" | "launcher"> {
  readonly runtime: ContainerRuntime;
  readonly settings: TaskContainerSettings;
  /** The pool's registries (credentials for images of those servers). */
  readonly registries?: readonly ContainerRegistry[];
  /** The node's root on the host, shown at /mnt/batch/tasks. */
  readonly nodeRoot: string;
  /** Host paths: the run's working directory, and the directories `containerHostBatchBindMounts` may name. */
  readonly workingDirectory: string;
  readonly directories: Readonly<Partial<Record<NonNullable<ContainerHostBatchBindMountEntry["source"]>, string>>>;
  /** Names the container (unique per node and run). */
  readonly runName: string;
  /** accounts mode: the identity's OS account. */
  readonly account?: { readonly uid: number; readonly gid: number };
  /** The identity is an admin: root in the container. */
  readonly elevated: boolean;
  /** The node's account may use every containerRunOptions. */
  readonly unrestricted: boolean;
  readonly launcher?: RunProcessOptions["launcher"];
}

function containerName(nodeRoot: string, runName: string): string {
  return `openbatch-${createHash("sha256").update(`${nodeRoot}\0${runName}`).digest("hex").slice(0, 40)}`;
}

/** The host path of a node path as tasks see it, refused when links lead it out of the node. */
async function nodeHostPath(nodeRoot: string, nodePath: string): Promise<string> {
  const host = join(nodeRoot, nodePath.slice(containerNodeRoot.length));
  const [realRoot, realHost] = await Promise.all([realpath(nodeRoot), realpath(host).catch(() => undefined)]);
  if (realHost === undefined) throw new ContainerRunError("ContainerInvalidSettings", `containerRunOptions binds '${nodePath}', which does not exist on the node.`);
  const inside = relative(realRoot, realHost);
  if (inside.startsWith(`..${sep}`) || inside === "..") throw new ContainerRunError("ContainerInvalidSettings", `containerRunOptions binds '${nodePath}', which leads outside the node.`);
  return realHost;
}

const bindTargets: Readonly<Record<NonNullable<ContainerHostBatchBindMountEntry["source"]>, string>> = {
  Shared: "shared",
  Startup: "startup",
  VfsMounts: "fsmounts",
  Task: "task",
  JobPrep: "jobprep",
  Applications: "applications",
};

function mounts(options: ContainerProcessOptions): string[] {
  const chosen = options.settings.containerHostBatchBindMounts;
  if (chosen === undefined) return [`--volume=${options.nodeRoot}:${containerNodeRoot}`];
  const args: string[] = [];
  for (const entry of chosen) {
    if (entry.source === undefined) continue;
    const host = options.directories[entry.source];
    if (host === undefined) {
      if (entry.source === "JobPrep") continue;
      throw new ContainerRunError("ContainerInvalidSettings", `containerHostBatchBindMounts names ${entry.source} (${bindTargets[entry.source]}), which this run does not have.`);
    }
    args.push(`--volume=${host}:${toSandboxPath(options.nodeRoot, host)}${entry.isReadOnly === true ? ":ro" : ""}`);
  }
  return args;
}

async function createArguments(options: ContainerProcessOptions, name: string, imageId: string): Promise<{ args: string[]; env: Record<string, string> }> {
  const { nodeRoot } = options;
  let runOptions;
  try {
    runOptions = checkContainerRunOptions(options.settings.containerRunOptions, { unrestricted: options.unrestricted });
  } catch (error) {
    if (error instanceof ContainerOptionsError) throw new ContainerRunError("ContainerInvalidSettings", `containerRunOptions: ${error.message}`);
    throw error;
  }
  const translated = new Map<string, string>();
  for (const option of runOptions) {
    if (option.nodePath !== undefined) translated.set(option.nodePath, await nodeHostPath(nodeRoot, option.nodePath));
  }
  const args = [
    "create",
    `--name=${name}`,
    `--label=${nodeLabel}=${nodeLabelValue(nodeRoot)}`,
    "--network=host",
    "--cap-drop=NET_RAW",
    ...mounts(options),
  ];
  if (options.settings.workingDirectory !== "containerImageDefault") args.push(`--workdir=${toSandboxPath(nodeRoot, options.workingDirectory)}`);
  if (options.account !== undefined && !options.elevated) {
    args.push(`--user=${options.account.uid}:${options.account.gid}`, "--security-opt=no-new-privileges");
  } else if (options.runtime.rootless && options.runtime.name === "podman" && !options.elevated) {
    args.push("--userns=keep-id", "--security-opt=no-new-privileges");
  }
  const env: Record<string, string> = {};
  for (const [variable, value] of Object.entries(options.env)) {
    if (variable === "PATH" || variable === "PWD") continue;
    const inside = toSandboxPath(nodeRoot, value);
    if (isRuntimeVariable(variable)) args.push(`--env=${variable}=${inside}`);
    else {
      env[variable] = inside;
      args.push(`--env=${variable}`);
    }
  }
  args.push(...containerRunArguments(runOptions, (nodePath) => translated.get(nodePath) as string));
  args.push("--pull=never", imageId, ...options.argv);
  return { args, env };
}

/**
 * Removes a container whatever its state; missing is fine. A running one is stopped first: SIGTERM, then SIGKILL
 * after `graceInSeconds` (0: at once).
 */
export async function removeContainer(runtime: ContainerRuntime, name: string, graceInSeconds = 0): Promise<void> {
  const timeoutInMs = (graceInSeconds + 60) * 1000;
  if (runtime.name === "podman") {
    await runtimeCommand(runtime, ["rm", "--force", `--time=${graceInSeconds}`, "--ignore", name], { timeoutInMs });
    return;
  }
  if (graceInSeconds > 0) await runtimeCommand(runtime, ["stop", `--time=${graceInSeconds}`, name], { timeoutInMs });
  await runtimeCommand(runtime, ["rm", "--force", name], { timeoutInMs });
}

/** Removes every container of the node (what a crashed agent, or a kill that raced a create, left behind). */
export async function removeNodeContainers(runtime: ContainerRuntime, nodeRoot: string): Promise<void> {
  const listed = await runtimeCommand(runtime, ["ps", "--all", "--quiet", `--filter=label=${nodeLabel}=${nodeLabelValue(nodeRoot)}`], { timeoutInMs: 60_000 });
  for (const id of listed.stdout.split("\n").map((line) => line.trim()).filter((line) => line !== "")) await removeContainer(runtime, id);
}

/** A run in a container: its process, and a result that says what became of the container. */
export interface StartedContainer extends StartedProcess {
  readonly result: Promise<ProcessResult & { readonly containerInfo: TaskContainerExecutionInformation }>;
}

/** The runtime's error line in what the client wrote to the task's stderr (it attaches to the task's files). */
async function runtimeErrorLine(stderrPath: string): Promise<string | undefined> {
  const text = await readFile(stderrPath, "utf8").catch(() => "");
  return text.split("\n").findLast((line) => line.startsWith("Error: "))?.slice("Error: ".length).trim();
}

/** executionInfo.containerInfo of a run whose client exited (module comment, step 4). */
async function endedContainerInfo(runtime: ContainerRuntime, name: string, containerId: string, exitCode: number, stderrPath: string): Promise<TaskContainerExecutionInformation> {
  // Only the runtime's own exit codes can mean the container never ran; asking costs a command, so only then.
  if (exitCode < 125 || exitCode > 127) return { containerId, state: "exited" };
  const inspected = await runtimeCommand(runtime, ["inspect", "--format", "{{.State.Status}}\t{{.State.Error}}", name], { timeoutInMs: 60_000 });
  const [state = "", reported = ""] = inspected.ok ? inspected.stdout.trim().split("\t") : [];
  if (state === "" || state === "exited") return { containerId, state: "exited" };
  const error = reported !== "" ? reported : await runtimeErrorLine(stderrPath);
  return { containerId, state, ...(error === undefined ? {} : { error }) };
}

/** Starts the process in its container and resolves once it runs. Throws ContainerRunError or ProcessLaunchError. */
export async function startContainerProcess(options: ContainerProcessOptions): Promise<StartedContainer> {
  const { runtime, settings } = options;
  const name = containerName(options.nodeRoot, options.runName);
  let containerId: string;
  try {
    const qualified = qualifyOrFail(settings.imageName);
    const credentials = credentialsFor(qualified, settings.registry, options.registries);
    const create = async (imageId: string) => {
      const { args, env } = await createArguments(options, name, imageId);
      // A container of this name is the leftover of a run that died half-way (the name is per run).
      await removeContainer(runtime, name);
      return runtimeCommand(runtime, args, { env, timeoutInMs: 5 * 60_000, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    };
    const image = await ensureImage(runtime, qualified, credentials, options.signal);
    let created = await create(image.imageId);
    if (!created.ok && image.remembered && /image not known|no such image/i.test(runtimeMessage(created))) {
      // Removed from the store since the pull that vouched for it: pull again, with the run's credentials.
      forgetImage(runtime, qualified, credentials);
      created = await create((await ensureImage(runtime, qualified, credentials, options.signal, true)).imageId);
    }
    if (!created.ok) {
      await removeContainer(runtime, name);
      const detail = runtimeMessage(created);
      const settingsProblem = /unknown flag|invalid argument|invalid (reference|option)|flag needs|no such file or directory|not a directory/i.test(detail);
      throw new ContainerRunError(settingsProblem ? "ContainerInvalidSettings" : "ContainerMiscError", `The container could not be created: ${detail}`, detail);
    }
    containerId = created.stdout.trim().split("\n").at(-1)?.trim() ?? name;
  } catch (error) {
    if (error instanceof ImageError) throw new ContainerRunError(error.code, error.message, error.detail);
    throw error;
  }
  let started: StartedProcess;
  try {
    started = await startProcess({ ...options, argv: [runtime.binary, "start", "--attach", name], cwd: "/", env: runtime.environment });
  } catch (error) {
    await removeContainer(runtime, name);
    throw error;
  }
  // A kill ended the runtime's client; the container had SIGTERM passed on and gets the same grace as a process.
  const grace = Math.ceil((options.killGracePeriodInMs ?? 5000) / 1000);
  const result = started.result.then(async (outcome) => {
    const containerInfo = outcome.killedBy === undefined ? await endedContainerInfo(runtime, name, containerId, outcome.exitCode, options.stderrPath) : { containerId, state: "exited" };
    await removeContainer(runtime, name, outcome.killedBy === undefined ? 0 : grace);
    return { ...outcome, containerInfo };
  });
  return { ...started, result };
}
