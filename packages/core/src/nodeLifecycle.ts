/**
 * The compute node lifecycle as a pure function: from what the node's agent last reported, the start task's
 * settings and the node's own state, decide the node's state, its start task information and whether the start
 * task should run again. The server calls it on every agent report; nothing here reads a clock or does I/O.
 *
 * States (semantics.md §6.2) and how they are reached:
 * - creating             the node record exists; no agent has reported it yet (set when the node is allocated)
 * - starting             the agent prepares the node's directories
 * - waitingforstarttask  the start task runs (or waits for a retry) and `waitForSuccess` is true (the default)
 * - starttaskfailed      the last allowed attempt failed and `waitForSuccess` is true; nothing is scheduled
 * - idle / running       usable; running when a job task (not the start task) runs on it
 * - offline              scheduling disabled and no task left (set by disable scheduling, kept here)
 * - rebooting, reimaging the node's generation moved on and the agent has not caught up, or the restart waits for
 *                        the node's running tasks to end (`restartPending`; set by the operation)
 * - leavingpool          the node is being removed (set by resize, remove nodes, pool delete)
 * - unusable             the agent reports errors that keep the node from being made ready in this generation (a
 *                        pool application package that cannot be installed); not recovered by later reports
 * - unknown              the agent stopped reporting (set by the heartbeat tracker; the next report recovers it)
 *
 * A start task attempt fails when it exits non-zero or cannot be started. It is retried while the retry count is
 * below `maxTaskRetryCount` (default 0, −1 = without limit): the function asks for the next attempt, and the agent
 * runs it because the desired attempt grew.
 */

export type ComputeNodeStateValue =
  | "idle" | "rebooting" | "reimaging" | "running" | "unusable" | "creating" | "starting" | "waitingforstarttask"
  | "starttaskfailed" | "unknown" | "leavingpool" | "offline" | "preempted" | "upgradingos";

export interface StartTaskSettings {
  readonly maxTaskRetryCount?: number;
  readonly waitForSuccess?: boolean;
}

export interface ProcessReport {
  readonly attempt: number;
  readonly state: "running" | "completed";
  readonly startTime: string;
  readonly endTime?: string;
  readonly exitCode?: number;
  /** A start task in a container: the container's id, state and the runtime's error. */
  readonly containerInfo?: { readonly containerId?: string; readonly state?: string; readonly error?: string };
  readonly failure?: { readonly code: string; readonly message: string; readonly category?: "usererror" | "servererror" };
}

export interface NodeLifecycleInput {
  readonly state: ComputeNodeStateValue;
  /** The generation the server wants and the one the agent reports running. */
  readonly desiredGeneration: number;
  readonly reportedGeneration: number;
  readonly phase: "preparing" | "ready" | "removed";
  readonly startTask: StartTaskSettings | undefined;
  /** The attempt the server has asked for in this generation (0 = none yet). */
  readonly startTaskAttempt: number;
  readonly outcome: ProcessReport | undefined;
  /** Job tasks running on the node (0 until tasks exist). */
  readonly runningTasks: number;
  readonly schedulingEnabled: boolean;
  /** The agent reports errors for the node in this generation. */
  readonly hasErrors?: boolean;
  /** A reboot or reimage waits for the node's running tasks to end (taskcompletion, retaineddata). */
  readonly restartPending?: boolean;
}

export interface StartTaskInfoValue {
  state: "running" | "completed";
  startTime: string;
  endTime?: string;
  exitCode?: number;
  containerInfo?: { containerId?: string; state?: string; error?: string };
  retryCount: number;
  lastRetryTime?: string;
  result?: "success" | "failure";
  failureInfo?: { category: "usererror" | "servererror"; code: string; message: string };
}

export interface NodeLifecycleOutput {
  readonly state: ComputeNodeStateValue;
  readonly startTaskAttempt: number;
  readonly startTaskInfo: StartTaskInfoValue | undefined;
}

/** States that belong to an operation in progress; agent reports do not override them. */
const heldStates: ReadonlySet<ComputeNodeStateValue> = new Set(["leavingpool", "preempted", "unusable"]);

function startTaskFailed(outcome: ProcessReport): boolean {
  return outcome.state === "completed" && (outcome.failure !== undefined || outcome.exitCode !== 0);
}

function retriesAllowed(settings: StartTaskSettings, retryCount: number): boolean {
  const max = settings.maxTaskRetryCount ?? 0;
  return max === -1 || retryCount < max;
}

export function startTaskInfoOf(outcome: ProcessReport, retryCount: number, lastRetryTime?: string): StartTaskInfoValue {
  const info: StartTaskInfoValue = { state: outcome.state, startTime: outcome.startTime, retryCount };
  if (lastRetryTime !== undefined) info.lastRetryTime = lastRetryTime;
  if (outcome.endTime !== undefined) info.endTime = outcome.endTime;
  if (outcome.state === "completed") {
    if (outcome.exitCode !== undefined) info.exitCode = outcome.exitCode;
    if (outcome.containerInfo !== undefined) info.containerInfo = { ...outcome.containerInfo };
    const failed = startTaskFailed(outcome);
    info.result = failed ? "failure" : "success";
    if (failed) {
      info.failureInfo =
        outcome.failure !== undefined
          ? { category: outcome.failure.category ?? "usererror", code: outcome.failure.code, message: outcome.failure.message }
          : { category: "usererror", code: "FailureExitCode", message: `The task process exited with an unexpected exit code` };
    }
  }
  return info;
}

/** The node's next state after an agent report. */
export function nextNodeState(input: NodeLifecycleInput): NodeLifecycleOutput {
  const { startTask, outcome } = input;
  let attempt = input.startTaskAttempt;
  const keep = (state: ComputeNodeStateValue): NodeLifecycleOutput => ({
    state,
    startTaskAttempt: attempt,
    startTaskInfo: outcome === undefined ? undefined : startTaskInfoOf(outcome, Math.max(outcome.attempt - 1, 0), outcome.attempt > 1 ? outcome.startTime : undefined),
  });
  if (heldStates.has(input.state)) return keep(input.state);
  if (input.reportedGeneration < input.desiredGeneration || input.restartPending === true) {
    return keep(input.state === "reimaging" ? "reimaging" : "rebooting");
  }
  if (input.hasErrors === true) return keep("unusable");
  if (input.phase === "preparing") return keep("starting");

  const usable: ComputeNodeStateValue = !input.schedulingEnabled && input.runningTasks === 0 ? "offline" : input.runningTasks > 0 ? "running" : "idle";
  if (startTask === undefined) return keep(usable);
  const waits = startTask.waitForSuccess ?? true;
  if (attempt === 0) attempt = 1;
  if (outcome === undefined || outcome.attempt < attempt || outcome.state === "running") {
    return keep(waits ? "waitingforstarttask" : usable);
  }
  if (!startTaskFailed(outcome)) return keep(usable);
  if (retriesAllowed(startTask, outcome.attempt - 1)) {
    attempt = outcome.attempt + 1;
    return keep(waits ? "waitingforstarttask" : usable);
  }
  return keep(waits ? "starttaskfailed" : usable);
}
