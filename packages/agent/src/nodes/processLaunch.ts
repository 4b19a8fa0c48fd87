/**
 * Starts the process of a run (start task attempt, task assignment) as a plain process — sandboxed and as its
 * account, as runAs.ts says — or, with `containerSettings`, in a container (containers/containerRun.ts). Both give a
 * StartedProcess with the same contract, so jobTask.ts and startTask.ts treat them alike.
 */
import type { ContainerHostBatchBindMountEntry, ContainerRegistry, ProcessOutcome, TaskContainerExecutionInformation, TaskContainerSettings } from "@openbatch/protocol";
import { ContainerRunError, startContainerProcess } from "../containers/containerRun.js";
import type { RuntimeDetection } from "../containers/runtime.js";
import { startProcess, type ProcessResult, type RunProcessOptions, type StartedProcess } from "../process/runProcess.js";
import type { RunAs } from "./runAs.js";

/** What a node knows about running containers: its agent's runtime, its pool's registries, its account's policy. */
export interface NodeContainers {
  readonly detection: RuntimeDetection;
  readonly registries?: readonly ContainerRegistry[];
  readonly unrestricted: boolean;
}

export interface RunLaunch extends Omit<RunProcessOptions, "confinement" | "launcher"> {
  readonly runAs: RunAs;
  readonly containerSettings?: TaskContainerSettings;
  readonly containers?: NodeContainers;
  readonly nodeRoot: string;
  /** Names the container (unique per node and run). */
  readonly runName: string;
  /** Host directories `containerHostBatchBindMounts` may name. */
  readonly directories: Readonly<Partial<Record<NonNullable<ContainerHostBatchBindMountEntry["source"]>, string>>>;
}

/** A started run; in a container, its result says what became of the container (executionInfo.containerInfo). */
export interface StartedRun extends StartedProcess {
  readonly result: Promise<ProcessResult & { readonly containerInfo?: TaskContainerExecutionInformation }>;
}

/** Starts the run's process. Throws ProcessLaunchError or ContainerRunError. */
export async function launchRun(run: RunLaunch): Promise<StartedRun> {
  const { runAs, containerSettings, containers, nodeRoot, runName, directories, ...process } = run;
  if (containerSettings === undefined) return startProcess({ ...process, ...(runAs.confinement === undefined ? {} : { confinement: runAs.confinement }) });
  const runtime = containers?.detection.runtime;
  if (runtime === undefined) {
    const reason = containers?.detection.runtime === undefined && containers !== undefined ? containers.detection.reason : "no container runtime";
    throw new ContainerRunError("ContainerMiscError", `The task runs in a container, and this node's agent has no container runtime (${reason}).`);
  }
  return startContainerProcess({
    ...process,
    runtime,
    settings: containerSettings,
    ...(containers?.registries === undefined ? {} : { registries: containers.registries }),
    nodeRoot,
    workingDirectory: process.cwd,
    directories,
    runName,
    ...(runAs.confinement?.account === undefined ? {} : { account: runAs.confinement.account }),
    elevated: runAs.elevated,
    unrestricted: containers?.unrestricted ?? false,
  });
}

/** The failure of a run whose container could not be made or started (failureInfo, Azure's codes). */
export function containerFailure(error: ContainerRunError): NonNullable<ProcessOutcome["failure"]> {
  return {
    code: error.code,
    category: error.code === "ContainerMiscError" ? "servererror" : "usererror",
    message: error.message,
    ...(error.detail === undefined ? {} : { details: [{ name: "Message", value: error.detail }] }),
  };
}
