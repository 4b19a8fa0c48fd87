/**
 * One compute node hosted by this agent: converges its directory tree and start task on the latest desired state
 * from the server (a DesiredNode, or nothing when the server no longer lists it) and reports facts back.
 *
 * Phases (the `phase` of AgentNodeReport) and how they are reached:
 * - preparing  a new node, a changed generation (reboot/reimage) or a node the server lists again after its
 *              removal; the directories are being (re)created (a reimage first wipes the root) and the pool's
 *              application packages installed (applicationPackages.ts). A package that cannot be installed is
 *              reported in `errors` (the server turns the node `unusable`) and the node stays as it is — no
 *              start task, no tasks, no retry — until its generation changes or it is removed; any other failing
 *              step is retried.
 * - ready      the layout exists; the start task runs whenever the desired `startTaskAttempt` is above the last
 *              attempt launched in this generation (one attempt at a time, the latest desired number).
 * - removed    `action: "remove"` or the node is no longer desired: processes killed, root deleted. Reported until
 *              the desired state stops listing the node; then the host forgets it.
 * While a removal is in progress the node keeps reporting its previous phase; a removal is finished before
 * anything else happens, even if the server changes its mind meanwhile.
 *
 * Generation change: any desired generation different from the local one (normally larger) kills the node's
 * processes and re-prepares: `reboot` keeps the directories, `reimage` wipes the root. The start-task history
 * starts over; the server asks for attempt 1 again. A different `poolId` for the same node id is treated as a
 * new node (the old root is deleted).
 *
 * Job tasks (TaskAssignment, run by jobTask.ts) start in phase `ready` as the node has room, independently of the
 * start task, and are reported, killed, withdrawn and forgotten as taskQueue.ts describes.
 *
 * Killing: the running start task's group gets SIGTERM, then SIGKILL after the grace period; groups of earlier
 * processes whose leader exited but which left processes behind are ended the same way.
 *
 * Restart: a node restored from the saved state keeps its generation, phase, last start-task outcome and task
 * outcomes (a start task or job task that was running becomes `completed` with failure `AgentRestarted`), re-creates missing directories once, and
 * resumes an interrupted removal or reimage wipe before anything else.
 *
 * Steps run one at a time per node (a reconcile loop woken by `setDesired` and by a process exit). A failing step
 * (disk full, permissions) is logged and retried on the next desired state the server sends.
 */
import type { AgentNodeReport, DesiredNode, NodeErrorReport, ProcessOutcome, TaskAssignment } from "@openbatch/protocol";
import type { PersistedNode, PersistedProcess } from "../localState.js";
import type { Logger } from "../log.js";
import { groupExists, readProcessStartTicks, signalGroup, terminateGroups } from "../process/processGroup.js";
import { createNodeDirectories, deleteNodeDirectories, nodeLayout, type NodeLayout } from "./nodeLayout.js";
import { runJobTask } from "./jobTask.js";
import { placeTaskCertificates } from "./certificateFiles.js";
import { applicationPackageEnvironment, taskPackageFailure } from "./applicationPackages.js";
import { prepareNodeTree, runAsOrFailure } from "./runAs.js";
import { AgentStopping } from "./agentStopping.js";
import { runStartTaskAttempt } from "./startTask.js";
import { failedRun, hasWorkQueued, persistedTask, restoredOutcome, restoredTask, runsToStart, taskReport, type TaskRun } from "./taskQueue.js";
import type { NodeContext } from "./nodeContext.js";
import { nodeContainers, prepareNodeContent, removeContainersOf } from "./nodeContent.js";

type Phase = "preparing" | "ready" | "removed";

interface RunningStartTask {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

export class HostedNode {
  private poolId: string;
  private layout: NodeLayout;
  private generation: number;
  private phase: Phase;
  private removing = false;
  private wipePending = false;
  private startTaskAttemptRun = 0;
  private startTask: ProcessOutcome | undefined;
  private startTaskProcess: PersistedProcess | undefined;
  /** Why the node cannot be made ready in this generation (empty: nothing wrong). */
  private errors: NodeErrorReport[] = [];
  private desired: DesiredNode | undefined;
  /**
   * Whether a container of this node may exist, so that removing the node asks the runtime for them (one `ps` of
   * the runtime, a Go program's start and a storage lock, per node: most nodes never run a container, and a pool of
   * hundreds shrinking must not queue hundreds of them). A node this process made has none until a run of it used a
   * container; a node restored from the state file may have some that a crash left.
   */
  private mayHaveContainers = true;
  private running: RunningStartTask | undefined;
  /** Process groups started on this node in this generation whose members may still run. */
  private readonly processGroups = new Set<number>();
  /** Task assignments by id, in the order they were started. */
  private readonly tasks = new Map<string, TaskRun>();
  private reconciling: Promise<void> | undefined;
  private again = false;
  /** The dispatch lease lapsed while runs waited (logged once per lapse). */
  private leaseLapsed = false;
  private closed = false;
  /** Whether the directories were (re)created by this agent process: a restored node checks them once. */
  private layoutChecked = false;
  private readonly logger: Logger;

  private constructor(
    readonly nodeId: string,
    poolId: string,
    generation: number,
    phase: Phase,
    private readonly context: NodeContext,
  ) {
    this.poolId = poolId;
    this.layout = nodeLayout(context.dataDirectory, poolId, nodeId);
    this.generation = generation;
    this.phase = phase;
    this.logger = context.logger.child({ poolId, nodeId });
  }

  /** A node the agent did not host before. */
  static create(desired: DesiredNode, context: NodeContext): HostedNode {
    const node = new HostedNode(desired.nodeId, desired.poolId, desired.generation, "preparing", context);
    node.mayHaveContainers = false;
    return node;
  }

  /**
   * A node from the saved state of an earlier agent process. A start task recorded as running is reported as
   * completed with `AgentRestarted`; its process group is killed by `recover` if its leader is provably the same.
   */
  static restore(saved: PersistedNode, context: NodeContext): HostedNode {
    const node = new HostedNode(saved.nodeId, saved.poolId, saved.generation, saved.phase, context);
    node.removing = saved.removing;
    node.wipePending = saved.wipePending;
    node.startTaskAttemptRun = saved.startTaskAttemptRun;
    node.startTask = saved.startTask === undefined ? undefined : restoredOutcome(saved.startTask, context.clock.now().toISOString(), "start task");
    node.startTaskProcess = saved.startTaskProcess;
    node.errors = [...(saved.errors ?? [])];
    for (const task of saved.tasks ?? []) node.tasks.set(task.assignmentId, restoredTask(task, context.clock.now().toISOString()));
    return node;
  }

  /** Ends the processes an earlier agent process left running, when they are provably still those processes. */
  async recover(): Promise<void> {
    const orphans: { process: PersistedProcess; what: string }[] = [];
    if (this.startTaskProcess !== undefined) orphans.push({ process: this.startTaskProcess, what: "start task" });
    this.startTaskProcess = undefined;
    for (const run of this.tasks.values()) {
      if (run.process !== undefined) orphans.push({ process: run.process, what: `task assignment ${run.assignmentId}` });
      delete run.process;
    }
    for (const orphan of orphans) {
      const ticks = orphan.process.startTicks === undefined ? undefined : await readProcessStartTicks(orphan.process.pid);
      if (ticks !== undefined && ticks === orphan.process.startTicks) {
        this.logger.log("warn", `ending a ${orphan.what} left running by the previous agent process`, { pid: orphan.process.pid });
        signalGroup(orphan.process.pid, "SIGKILL");
      }
    }
    // Containers outlive their runtime's client: those of runs the previous agent process did not finish go too.
    if (orphans.length > 0) await this.removeContainers();
  }

  /** The latest desired state; undefined when the server no longer lists the node. */
  setDesired(desired: DesiredNode | undefined): void {
    this.desired = desired;
    this.kick();
  }

  /** `<poolId>/<nodeId>`: how OS account registries name the node. */
  get key(): string {
    return `${this.poolId}/${this.nodeId}`;
  }

  /** Removed and no longer desired: the host may forget the node. */
  get forgettable(): boolean {
    return this.phase === "removed" && !this.removing && this.desired === undefined;
  }

  /** The process groups the node started whose processes may still run (their memory is the node's). */
  get runningGroups(): ReadonlySet<number> {
    return this.processGroups;
  }

  /** The directory the file server may serve, or undefined while the node is being removed or is gone. */
  get servedRoot(): string | undefined {
    return this.phase === "removed" || this.removing ? undefined : this.layout.root;
  }

  report(): AgentNodeReport {
    return {
      nodeId: this.nodeId,
      generation: this.generation,
      phase: this.phase,
      ...(this.startTask === undefined ? {} : { startTask: this.startTask }),
      rootDirectory: this.layout.root,
      ...(this.tasks.size === 0 ? {} : { tasks: [...this.tasks.values()].filter((run) => !run.dropped).map(taskReport) }),
      ...(this.errors.length === 0 ? {} : { errors: this.errors }),
    };
  }

  /** Whether runs wait for all of the node's slots again (taskQueue.ts `hasWorkQueued`), in phase `ready`. */
  hasWorkQueued(): boolean {
    return this.desired !== undefined && this.phase === "ready" && !this.removing && hasWorkQueued(this.desired, this.tasks);
  }

  persisted(): PersistedNode {
    return {
      nodeId: this.nodeId,
      poolId: this.poolId,
      generation: this.generation,
      phase: this.phase,
      removing: this.removing,
      wipePending: this.wipePending,
      startTaskAttemptRun: this.startTaskAttemptRun,
      ...(this.startTask === undefined ? {} : { startTask: this.startTask }),
      ...(this.startTaskProcess === undefined ? {} : { startTaskProcess: this.startTaskProcess }),
      ...(this.errors.length === 0 ? {} : { errors: this.errors }),
      ...(this.tasks.size === 0 ? {} : { tasks: [...this.tasks.values()].map(persistedTask) }),
    };
  }

  /** Resolves when the node has nothing left to do for now (tests). */
  async settled(): Promise<void> {
    while (this.reconciling !== undefined) await this.reconciling;
  }

  /** Stops converging and ends the node's processes; their outcome is recorded as `AgentRestarted`. */
  async close(): Promise<void> {
    this.closed = true;
    await this.killAll(new AgentStopping("The agent is stopping."));
    await this.settled();
  }

  private kick(): void {
    if (this.closed) return;
    if (this.reconciling !== undefined) {
      this.again = true;
      return;
    }
    this.reconciling = this.reconcile().finally(() => {
      this.reconciling = undefined;
    });
  }

  private async reconcile(): Promise<void> {
    try {
      let progressed = true;
      while (!this.closed && (progressed || this.again)) {
        this.again = false;
        progressed = await this.step();
      }
    } catch (error) {
      this.logger.log("error", "node step failed; retrying on the next desired state", { error });
    }
  }

  /** One step towards the desired state; true when another step may follow at once. */
  private async step(): Promise<boolean> {
    const desired = this.desired;
    this.dropWithdrawnTasks(desired);
    if (desired === undefined || desired.action === "remove" || this.removing) {
      if (this.phase === "removed" && !this.removing) return false;
      await this.remove();
      return desired !== undefined && desired.action === "run";
    }
    if (this.phase === "removed" || desired.poolId !== this.poolId) {
      await this.rejoin(desired);
      return true;
    }
    if (desired.generation !== this.generation) {
      await this.changeGeneration(desired);
      return true;
    }
    // Unusable in this generation: nothing more happens until a reboot, reimage or removal.
    if (this.errors.length > 0) return false;
    if (this.phase === "preparing") {
      if (this.wipePending) {
        await deleteNodeDirectories(this.layout);
        this.wipePending = false;
      }
      await createNodeDirectories(this.layout);
      await prepareNodeTree(this.layout, this.context.isolation);
      if (!(await this.installPoolPackages(desired))) return false;
      this.layoutChecked = true;
      this.phase = "ready";
      this.logger.log("info", "node ready", { generation: this.generation });
      this.context.changed();
      return true;
    }
    if (!this.layoutChecked) {
      await createNodeDirectories(this.layout);
      await prepareNodeTree(this.layout, this.context.isolation);
      if (!(await this.installPoolPackages(desired))) return false;
      this.layoutChecked = true;
    }
    if (desired.startTask !== undefined && desired.startTaskAttempt > this.startTaskAttemptRun && this.running === undefined) {
      this.launchStartTask(desired, desired.startTaskAttempt);
    }
    this.runTasks(desired);
    return false;
  }

  /** Installs the pool's packages and pulls its images; false (and the node's `errors` set) when one cannot be had. */
  private async installPoolPackages(desired: DesiredNode): Promise<boolean> {
    this.errors = await prepareNodeContent(this.context.applicationPackages, this.context.containers, this.layout.applications, desired, this.logger);
    if (this.errors.length === 0) return true;
    this.context.changed();
    return false;
  }

  private async remove(): Promise<void> {
    if (!this.removing) {
      this.removing = true;
      this.logger.log("info", "removing node");
      await this.context.persist();
    }
    await this.killAll(new Error("The node is being removed."));
    await this.releaseIdentities();
    await deleteNodeDirectories(this.layout);
    this.removing = false;
    this.phase = "removed";
    this.errors = [];
    this.wipePending = false;
    this.startTask = undefined;
    this.startTaskAttemptRun = 0;
    this.logger.log("info", "node removed");
    this.context.changed();
  }

  /** The node id comes back after its removal, or moves to another pool: start from scratch. */
  private async rejoin(desired: DesiredNode): Promise<void> {
    if (desired.poolId !== this.poolId) {
      await this.killAll(new Error("The node moved to another pool."));
      await this.releaseIdentities();
      if (this.phase !== "removed") await deleteNodeDirectories(this.layout);
      this.poolId = desired.poolId;
      this.layout = nodeLayout(this.context.dataDirectory, desired.poolId, this.nodeId);
    }
    this.generation = desired.generation;
    this.phase = "preparing";
    this.errors = [];
    this.wipePending = false;
    this.startTask = undefined;
    this.startTaskAttemptRun = 0;
    this.context.changed();
  }

  private async changeGeneration(desired: DesiredNode): Promise<void> {
    this.logger.log("info", `node ${desired.generationChange}`, { from: this.generation, to: desired.generation });
    await this.killAll(new Error(`The node is being ${desired.generationChange === "reimage" ? "reimaged" : "rebooted"}.`));
    this.generation = desired.generation;
    this.phase = "preparing";
    this.errors = [];
    this.wipePending = desired.generationChange === "reimage";
    this.startTask = undefined;
    this.startTaskAttemptRun = 0;
    this.context.changed();
    await this.context.persist();
  }

  private async killAll(reason: Error): Promise<void> {
    const running = this.running;
    running?.controller.abort(reason);
    const tasks: Promise<void>[] = [];
    for (const run of this.tasks.values()) {
      run.controller?.abort(reason);
      if (run.done !== undefined) tasks.push(run.done);
    }
    if (running !== undefined) await running.done;
    await Promise.all(tasks);
    if (this.processGroups.size > 0) {
      await terminateGroups(this.processGroups, this.context.killGracePeriodInMs);
      this.processGroups.clear();
    }
    // What the node's processes left running in its sandboxes ends with them.
    await this.context.sandboxes?.closeNode(this.layout.root, this.context.killGracePeriodInMs);
    await this.removeContainers();
  }

  private removeContainers(): Promise<void> {
    if (!this.mayHaveContainers) return Promise.resolve();
    return removeContainersOf(this.context.containers, this.layout.root, this.logger);
  }

  private launchStartTask(desired: DesiredNode, attempt: number): void {
    const startTask = desired.startTask;
    if (startTask === undefined) return;
    const controller = new AbortController();
    this.startTaskAttemptRun = attempt;
    this.startTask = { attempt, state: "running", startTime: this.context.clock.now().toISOString() };
    this.startTaskProcess = undefined;
    this.logger.log("info", "start task attempt begins", { attempt });
    this.context.changed();
    const layout = this.layout;
    const attemptRun = async (): Promise<ProcessOutcome> => {
      // On disk before anything runs: a crash from here on is reported as AgentRestarted, never run twice silently.
      await this.context.persist().catch((error: unknown) => this.logger.log("error", "saving the agent state failed", { error }));
      const identity = await this.identityFor(desired, startTask.userIdentity, `start.${this.generation}.${attempt}`);
      if (!("userName" in identity)) return failedRun(attempt, this.startTask?.startTime ?? this.context.clock.now().toISOString(), this.context.clock.now().toISOString(), identity.failure);
      try {
        if (startTask.containerSettings !== undefined) this.mayHaveContainers = true;
        return await runStartTaskAttempt({
          attempt,
          startTask,
          layout,
          systemPath: this.context.systemPath,
          nodeEnvironment: this.nodeEnvironment(desired),
          certificates: desired.certificates,
          runAs: identity,
          containers: nodeContainers(this.context.containers, desired),
          signal: controller.signal,
          clock: this.context.clock,
          killGracePeriodInMs: this.context.killGracePeriodInMs,
          onProcess: (pid) =>
            this.track(pid, (process) => {
              if (this.running?.controller !== controller) return false;
              this.startTaskProcess = process;
              return true;
            }),
        });
      } finally {
        await identity.release().catch((error: unknown) => this.logger.log("error", "releasing the start task's OS account failed", { error }));
      }
    };
    const done = attemptRun().then(
      (outcome) => this.finishStartTask(controller, outcome),
      (error: unknown) => {
        this.logger.log("error", "start task attempt failed unexpectedly", { attempt, error });
        const now = this.context.clock.now().toISOString();
        this.finishStartTask(controller, failedRun(attempt, this.startTask?.startTime ?? now, now, { code: "CommandLaunchFailed", message: `The agent could not run the start task: ${(error as Error).message}` }));
      },
    );
    this.running = { controller, done };
  }

  private finishStartTask(controller: AbortController, outcome: ProcessOutcome): void {
    if (this.running?.controller !== controller) return;
    this.running = undefined;
    // Keep a group only while something of it still runs (a leader that left background processes behind).
    for (const group of [...this.processGroups]) if (!groupExists(group)) this.processGroups.delete(group);
    this.startTaskProcess = undefined;
    this.startTask = outcome;
    this.logger.log("info", "start task attempt ended", { attempt: outcome.attempt, exitCode: outcome.exitCode, failure: outcome.failure?.code });
    this.context.changed();
    this.kick();
  }

  /** Forgets assignments the desired state no longer lists; running ones are killed first. */
  private dropWithdrawnTasks(desired: DesiredNode | undefined): void {
    if (this.tasks.size === 0) return;
    const listed = new Set((desired?.tasks ?? []).map((assignment) => assignment.assignmentId));
    let changed = false;
    for (const [assignmentId, run] of this.tasks) {
      if (run.dropped || listed.has(assignmentId)) continue;
      changed = true;
      if (run.controller === undefined) {
        this.tasks.delete(assignmentId);
      } else {
        run.dropped = true;
        this.logger.log("info", "killing a task assignment the server withdrew", { assignmentId });
        run.controller.abort(new Error("The task assignment was withdrawn by the server."));
      }
    }
    if (changed) this.context.changed();
  }

  /**
   * Kills the runs the server wants killed, lets go of those it withdraws before they begin, and starts the others as
   * the node has room: slotless ones at once, the rest in their order while their slots fit (module comment).
   */
  private runTasks(desired: DesiredNode): void {
    const waiting: TaskAssignment[] = [];
    for (const assignment of desired.tasks ?? []) {
      const run = this.tasks.get(assignment.assignmentId);
      if (run === undefined) {
        if (assignment.kill === true) {
          const now = this.context.clock.now().toISOString();
          this.tasks.set(assignment.assignmentId, {
            assignmentId: assignment.assignmentId,
            outcome: { attempt: assignment.attempt, state: "completed", startTime: now, endTime: now, failure: { code: "TaskEnded", message: "The task was killed before it started." } },
            slots: 0,
            dropped: false,
          });
          this.context.changed();
        } else if (assignment.withdraw === true) {
          this.tasks.set(assignment.assignmentId, { assignmentId: assignment.assignmentId, withdrawn: true, slots: 0, dropped: false });
          this.context.changed();
        } else {
          waiting.push(assignment);
        }
      } else if (assignment.kill === true && run.controller !== undefined && !run.controller.signal.aborted) {
        this.logger.log("info", "killing a task assignment at the server's request", { assignmentId: assignment.assignmentId });
        run.controller.abort(new Error("The task was killed at the server's request."));
      }
    }
    if (waiting.length === 0) return;
    if (!this.context.mayStartRuns()) {
      if (!this.leaseLapsed) this.logger.log("warn", "not starting task runs: no word from the server within the dispatch lease", { waiting: waiting.length });
      this.leaseLapsed = true;
      return;
    }
    this.leaseLapsed = false;
    let used = 0;
    for (const run of this.tasks.values()) if (run.controller !== undefined && !run.controller.signal.aborted) used += run.slots;
    for (const assignment of runsToStart(waiting, used, desired.taskSlots)) this.launchTask(desired, assignment);
  }

  private launchTask(desired: DesiredNode, assignment: TaskAssignment): void {
    const { assignmentId, attempt } = assignment;
    const controller = new AbortController();
    const startTime = this.context.clock.now();
    const run: TaskRun = { assignmentId, outcome: { attempt, state: "running", startTime: startTime.toISOString() }, slots: assignment.slots ?? 1, controller, dropped: false };
    this.tasks.set(assignmentId, run);
    this.logger.log("info", "task assignment begins", { assignmentId, jobId: assignment.jobId, taskId: assignment.taskId, attempt });
    this.context.changed();
    const layout = this.layout;
    const attemptRun = async (): Promise<ProcessOutcome> => {
      // On disk before anything runs: a crash from here on is reported as AgentRestarted, never run twice silently.
      await this.context.persist().catch((error: unknown) => this.logger.log("error", "saving the agent state failed", { error }));
      const packageFailure = await taskPackageFailure(this.context.applicationPackages, layout.applications, assignment);
      if (packageFailure !== undefined) {
        return failedRun(attempt, startTime.toISOString(), this.context.clock.now().toISOString(), packageFailure);
      }
      const identity = await this.identityFor(desired, assignment.userIdentity, assignmentId);
      if (!("userName" in identity)) return failedRun(attempt, startTime.toISOString(), this.context.clock.now().toISOString(), identity.failure);
      try {
        const certificates = await placeTaskCertificates(layout.root, assignment.taskDirectory, desired.certificates);
        if (assignment.containerSettings !== undefined) this.mayHaveContainers = true;
        return await runJobTask({
          assignment,
          layout,
          nodeEnvironment: { ...this.nodeEnvironment(desired, assignment), ...certificates },
          systemPath: this.context.systemPath,
          runAs: identity,
          containers: nodeContainers(this.context.containers, desired),
          signal: controller.signal,
          clock: this.context.clock,
          killGracePeriodInMs: this.context.killGracePeriodInMs,
          startTime,
          onProcess: (pid) =>
            this.track(pid, (process) => {
              if (run.controller !== controller) return false;
              run.process = process;
              return true;
            }),
        });
      } finally {
        await identity.release().catch((error: unknown) => this.logger.log("error", "releasing a task's OS account failed", { assignmentId, error }));
      }
    };
    run.done = attemptRun().then(
      (outcome) => this.finishTask(run, controller, outcome),
      (error: unknown) => {
        this.logger.log("error", "task assignment failed unexpectedly", { assignmentId, error });
        const failure = { code: "CommandLaunchFailed", message: `The agent could not run the task: ${(error as Error).message}` };
        this.finishTask(run, controller, failedRun(attempt, startTime.toISOString(), this.context.clock.now().toISOString(), failure));
      },
    );
  }

  /** Who a run of this node runs as (runAs.ts); `run` names it within the node (a task-scope identity's account is per node and run). */
  private identityFor(desired: DesiredNode, identity: TaskAssignment["userIdentity"], run: string): ReturnType<typeof runAsOrFailure> {
    const { isolation, identities, sandboxes, userName, dataDirectory } = this.context;
    return runAsOrFailure(
      { isolation, ...(identities === undefined ? {} : { identities }), ...(sandboxes === undefined ? {} : { sandboxes }), agentUserName: userName, dataDirectory },
      { layout: this.layout, poolId: this.poolId, nodeId: this.nodeId, account: desired.environment["AZ_BATCH_ACCOUNT_NAME"] ?? "", userAccounts: desired.userAccounts },
      identity,
      // Preparation and release runs have the same assignment id on every node.
      `${this.nodeId}/${run}`,
      this.logger,
    );
  }

  /** Keeps a started process's group to kill, and its identity (pid and start time) for a restarted agent. */
  private track(pid: number, record: (process: PersistedProcess) => boolean): void {
    this.processGroups.add(pid);
    void readProcessStartTicks(pid).then((startTicks) => {
      // A run that ended meanwhile (most short ones) has nothing left to save.
      if (record({ pid, ...(startTicks === undefined ? {} : { startTicks }) })) this.context.changed();
    });
  }

  /** Lets go of the OS accounts the node's identities held (the node leaves this host or its pool). */
  private async releaseIdentities(): Promise<void> {
    await this.context.identities?.releaseNode(this.key).catch((error: unknown) => this.logger.log("error", "releasing the node's OS accounts failed", { error }));
  }

  /** The node's variables plus the `AZ_BATCH_APP_PACKAGE_*` ones of the pool's and, for a job task, its own packages. */
  private nodeEnvironment(desired: DesiredNode, assignment?: TaskAssignment): Record<string, string> {
    return {
      ...desired.environment,
      ...applicationPackageEnvironment(this.layout.applications, desired.applicationPackages),
      ...applicationPackageEnvironment(this.layout.applications, assignment?.applicationPackages),
    };
  }

  private finishTask(run: TaskRun, controller: AbortController, outcome: ProcessOutcome): void {
    if (run.controller !== controller) return;
    delete run.controller;
    delete run.done;
    delete run.process;
    for (const group of [...this.processGroups]) if (!groupExists(group)) this.processGroups.delete(group);
    if (run.dropped) {
      if (this.tasks.get(run.assignmentId) === run) this.tasks.delete(run.assignmentId);
    } else {
      run.outcome = outcome;
    }
    this.logger.log("info", "task assignment ended", { assignmentId: run.assignmentId, exitCode: outcome.exitCode, failure: outcome.failure?.code });
    this.context.changed();
    this.kick();
  }
}
