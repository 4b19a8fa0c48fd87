/**
 * The agent protocol: how node agents and the server talk (docs/agent-protocol.md). One message pair, exchanged
 * in a loop:
 *
 *   agent ──POST /_agent/v1/sync (AgentSyncRequest: facts about every node it hosts)──▶ server
 *   agent ◀──────────────── AgentSyncResponse (the desired state of every node it should host) ── server
 *
 * The exchange is idempotent and resumable by construction: each request carries the agent's complete local facts
 * and each response the complete desired state, so a lost message, a redelivered one, an agent restart or a server
 * restart all converge on the next exchange. The server answers at once when the agent's facts changed anything or
 * the desired state is newer than `knownVersion`, otherwise it holds the request (long poll) for up to `waitInMs`:
 * changes reach agents without a polling interval, and every exchange doubles as the agent's heartbeat.
 *
 * Agents report facts (started, exited with code N); the server decides what follows (architecture.md invariant 3):
 * a start task is retried because the desired `startTaskAttempt` grows, not because the agent chose to retry.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Int32, model } from "./schema.js";
import { StartTask } from "./models/pool.js";
import { TaskContainerExecutionInformation } from "./models/task.js";
import { OutputFile, ResourceFile, TaskContainerSettings, UserIdentity } from "./models/common.js";
import { ContainerConfiguration } from "./models/poolConfiguration.js";
import { ElevationLevel } from "./enums.js";

/**
 * 2: pipelined dispatch — desired nodes list runs beyond their slots (`slots`, `order`, `withdraw`, the dispatch
 * lease); an agent of version 1 would start them all at once, so the server refuses it.
 */
export const agentProtocolVersion = 2;

/** Path of the sync endpoint, outside the Batch API's pipeline. */
export const agentSyncPath = "/_agent/v1/sync";

/** Where an agent downloads an application package's zip, by its SHA-256 (hex), with its bearer token. */
export function agentApplicationPackagePath(sha256: string): string {
  return `/_agent/v1/application-packages/${sha256}`;
}

/**
 * One application package to deploy on a node, resolved by the server from an ApplicationPackageReference (the
 * default version filled in). The agent installs it in `applications/<appid><version>.<hash>` and sets its
 * `AZ_BATCH_APP_PACKAGE_*` variables (packages/core applicationPackages.ts).
 */
export const ApplicationPackageDeployment = model("ApplicationPackageDeployment", {
  applicationId: Type.String(),
  version: Type.String(),
  /** SHA-256 of the zip, lower-case hex: names the download and the node directory, and is checked after download. */
  sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
  sizeInBytes: Type.Integer({ minimum: 0 }),
  /** The reference named no version: the default version was chosen, and the unversioned variable is set too. */
  referencedWithoutVersion: Type.Boolean(),
});
export type ApplicationPackageDeployment = Static<typeof ApplicationPackageDeployment>;

/**
 * What one run's processes used, measured by the agent (docs/statistics.md): the process tree of the run's process
 * group — its leader, what the leader's descendants used once reaped, and processes of the group reparented to the
 * agent's process spawner.
 */
export const ProcessUsage = model("ProcessUsage", {
  /** CPU time in user mode, in microseconds, summed over the processes and cores. */
  userCpuMicroseconds: Type.Integer({ minimum: 0 }),
  /** CPU time in kernel mode, in microseconds. */
  kernelCpuMicroseconds: Type.Integer({ minimum: 0 }),
  /** read(2)-family system calls, whatever they read from (files, pipes). */
  readOperations: Type.Integer({ minimum: 0 }),
  writeOperations: Type.Integer({ minimum: 0 }),
  /** Bytes those calls read and wrote. */
  readBytes: Type.Integer({ minimum: 0 }),
  writeBytes: Type.Integer({ minimum: 0 }),
  /** The largest resident set of one process of the tree. */
  peakMemoryBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * `exit`: exact, taken when the processes ended (the agent's process spawner); `sampled`: the last of samples taken
   * while they ran (Node's launcher), missing what the last interval used.
   */
  method: Type.Union([Type.Literal("exit"), Type.Literal("sampled")]),
});
export type ProcessUsage = Static<typeof ProcessUsage>;

export const ProcessOutcome = model("ProcessOutcome", {
  /** Which attempt this is: 1 for the first run. */
  attempt: Int32({ minimum: 1 }),
  state: Type.Union([Type.Literal("running"), Type.Literal("completed")]),
  startTime: Type.String(),
  endTime: Type.Optional(Type.String()),
  exitCode: Type.Optional(Int32()),
  /** A run in a container: the container's id, its state when the run ended, and the runtime's error, if any. */
  containerInfo: Type.Optional(TaskContainerExecutionInformation),
  /**
   * Set when the run failed other than by its exit code: the process could not be started (command not found, bad
   * working directory, …), a resource file could not be downloaded, output files could not be uploaded, or it was
   * killed. `code` is the Batch failureInfo code.
   */
  failure: Type.Optional(
    model("ProcessFailure", {
      code: Type.String(),
      message: Type.String(),
      /** failureInfo.category. @default "usererror" */
      category: Type.Optional(Type.Union([Type.Literal("usererror"), Type.Literal("servererror")])),
      /**
       * Which exit condition the failure belongs to (semantics.md §3): `preProcessing` (resource files, before the
       * command ran; then there is no exitCode) or `fileUpload` (output files, after it ran; the exitCode is kept).
       */
      stage: Type.Optional(Type.Union([Type.Literal("preProcessing"), Type.Literal("fileUpload")])),
      /** failureInfo.details. */
      details: Type.Optional(Type.Array(model("ProcessFailureDetail", { name: Type.String(), value: Type.String() }))),
    }),
  ),
  /** What the run's processes used; absent when no process ran or the agent could not measure it. */
  usage: Type.Optional(ProcessUsage),
});
export type ProcessOutcome = Static<typeof ProcessOutcome>;

/**
 * What an agent knows of one task assignment it started (or let go of, `withdrawn`). Assignments waiting for a slot
 * are not reported: a run is the agent's fact from the moment it begins.
 */
export const TaskReport = model("TaskReport", {
  assignmentId: Type.String(),
  /** The run's latest outcome; absent when `withdrawn`. */
  outcome: Type.Optional(ProcessOutcome),
  /** The server withdrew the run (`TaskAssignment.withdraw`) before the agent began it, and it never will. */
  withdrawn: Type.Optional(Type.Boolean()),
});
export type TaskReport = Static<typeof TaskReport>;

/**
 * Why a node cannot be made ready in its current generation (a pool application package that cannot be installed);
 * the server shows it in the node's `errors` (ComputeNodeError) and turns the node `unusable`.
 */
export const NodeErrorReport = model("NodeErrorReport", {
  code: Type.String(),
  message: Type.String(),
  errorDetails: Type.Optional(Type.Array(model("NodeErrorDetail", { name: Type.String(), value: Type.String() }))),
});
export type NodeErrorReport = Static<typeof NodeErrorReport>;

export const AgentNodeReport = model("AgentNodeReport", {
  nodeId: Type.String(),
  /** The incarnation the agent runs; it catches up with the desired generation by rebooting or reimaging. */
  generation: Int32({ minimum: 0 }),
  /**
   * preparing: creating directories for this generation; starting: ready to run the start task;
   * ready: the start task (if any) has been launched per the desired attempt; removed: the node's processes are
   * gone and its directory deleted (answer to a desired `remove`).
   */
  phase: Type.Union([Type.Literal("preparing"), Type.Literal("ready"), Type.Literal("removed")]),
  /** The latest start-task attempt of this generation, if one ran. */
  startTask: Type.Optional(ProcessOutcome),
  /** Absolute path of the node's root directory on the agent's machine. */
  rootDirectory: Type.String(),
  /** Every task assignment of this node the agent started or withdrew and still knows (until the server drops it). */
  tasks: Type.Optional(Type.Array(TaskReport)),
  /**
   * Set while the node cannot be made ready in this generation: the agent stops preparing it (no start task, no
   * tasks) until its generation changes or it is removed. Absent or empty: no error.
   */
  errors: Type.Optional(Type.Array(NodeErrorReport)),
  /** The node's latest resource sample (docs/statistics.md); absent until the agent took one. */
  resources: Type.Optional(
    model("NodeResourceSample", {
      /** Resident memory of the node's processes (every process group it started that still runs). */
      memoryBytes: Type.Integer({ minimum: 0 }),
      /** Bytes of the files under the node's directory tree. */
      diskBytes: Type.Integer({ minimum: 0 }),
    }),
  ),
});
export type AgentNodeReport = Static<typeof AgentNodeReport>;

export const AgentSyncRequest = model("AgentSyncRequest", {
  protocolVersion: Int32(),
  agentId: Type.String(),
  /** Changes whenever the agent process restarts. */
  bootId: Type.String(),
  /** Where the agent serves node files (`http://127.0.0.1:PORT`); the server proxies file reads there. */
  fileServerUrl: Type.String(),
  /** The desired-state version the agent has applied; the server long-polls until it moves on. */
  knownVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  /** How long the server may hold the request when nothing changed. */
  waitInMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  nodes: Type.Array(AgentNodeReport),
  /** Host facts, for the node's record. */
  host: model("AgentHost", {
    hostname: Type.String(),
    ipAddress: Type.String(),
    agentVersion: Type.String(),
    /** The host's CPU use since the agent's previous request, in percent of all cores (autoscale `$CPUPercent`). */
    cpuPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    /**
     * The container runtime the agent found and checked at start-up (docs/containers.md); absent: none, so the
     * nodes it hosts cannot run container pools or container tasks.
     */
    containerRuntime: Type.Optional(model("AgentContainerRuntime", { name: Type.String(), version: Type.String(), rootless: Type.Boolean() })),
  }),
});
export type AgentSyncRequest = Static<typeof AgentSyncRequest>;

/**
 * One run of one task on a node. The agent starts it once (an assignment id is never reused: a retry is a new
 * attempt with a new id), kills it when `kill` is set, and keeps reporting its outcome until the assignment no
 * longer appears in the desired state.
 *
 * Pipelined dispatch (docs/agent-protocol.md "Task slots and the look-ahead"): a node may be given more runs than it
 * has slots. The agent starts a run as soon as the node has room for its `slots` (counting the runs in progress that
 * are not being killed), runs without slots (`slots: 0`: job preparation and release) at once, and waiting runs in
 * `order` — never one while a run before it waits for room. It reports each run the moment it begins.
 */
export const TaskAssignment = model("TaskAssignment", {
  assignmentId: Type.String(),
  jobId: Type.String(),
  taskId: Type.String(),
  /** 1 for the first try; retries count up. */
  attempt: Int32({ minimum: 1 }),
  commandLine: Type.String(),
  /** The task directory relative to the node root: `workitems/<jobId>/job-1/<taskId>` (stdout.txt, stderr.txt, wd/). */
  taskDirectory: Type.String(),
  /** Variables set for the process, on top of the node's environment (job and task settings, AZ_BATCH_JOB_ID, …). */
  environment: Type.Record(Type.String(), Type.String()),
  /** Variables whose value is a directory relative to the node root; the agent sets them to its absolute path. */
  nodePathEnvironment: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** Kill the process after this long (the task's maxWallClockTime). */
  maxWallClockTimeInMs: Type.Optional(Type.Integer({ minimum: 1 })),
  /**
   * The server wants the process killed (terminate, job terminate, requeue); one not started yet is recorded as
   * ended (`TaskEnded`) without running.
   */
  kill: Type.Optional(Type.Boolean()),
  /** Task slots the run takes while it runs. @default 1 */
  slots: Type.Optional(Int32({ minimum: 0 })),
  /**
   * Where the run stands among the node's runs waiting for a slot: waiting runs start in ascending order (compared
   * element by element: the job's priority negated, the job's and then the task's addition order). @default []
   */
  order: Type.Optional(Type.Array(Type.Number(), { maxItems: 8 })),
  /**
   * The server takes the run back unless it has begun (a higher-priority job or a free node elsewhere needs it, or
   * its job's `maxParallelTasks` went down): not started yet, the agent never starts it and reports it `withdrawn`;
   * begun, it runs on and is reported as usual.
   */
  withdraw: Type.Optional(Type.Boolean()),
  /**
   * Downloaded into `wd` before the command runs. The server resolves `autoStorageContainerName` into a
   * `storageContainerUrl` carrying a read/list SAS, so agents never hold storage account keys.
   */
  resourceFiles: Type.Optional(Type.Array(ResourceFile)),
  /**
   * Multi-instance coordination runs: downloaded into the task directory (`AZ_BATCH_TASK_SHARED_DIR`, not `wd`)
   * before `resourceFiles`, on every instance.
   */
  commonResourceFiles: Type.Optional(Type.Array(ResourceFile)),
  /** Uploaded after the process exits, per each file's uploadCondition. */
  outputFiles: Type.Optional(Type.Array(OutputFile)),
  /** The task's own application packages, installed before its process starts (the pool's are the node's). */
  applicationPackages: Type.Optional(Type.Array(ApplicationPackageDeployment)),
  /**
   * Set when a task-level reference cannot be satisfied (no such application or version, no default version): the
   * run fails with `ApplicationPackageError` and this message, without starting the process.
   */
  applicationPackageError: Type.Optional(Type.String()),
  /**
   * Whom the process runs as (the task's, job manager's, preparation's or release task's `userIdentity`); absent:
   * the pool's non-admin auto-user. Agents that isolate tasks as root run it as that identity's OS account
   * (docs/security.md).
   */
  userIdentity: Type.Optional(UserIdentity),
  /** Run the command in a container of this image (the task's, job manager's, preparation's or release task's). */
  containerSettings: Type.Optional(TaskContainerSettings),
});
export type TaskAssignment = Static<typeof TaskAssignment>;

/**
 * A file of a certificate the node's pool references (certificateReferences), to be placed in the `certs`
 * directory of each process whose kind is in `visibility` (semantics.md §2.9: `AZ_BATCH_CERTIFICATES_DIR`).
 */
export const NodeCertificateFile = model("NodeCertificateFile", {
  /** `<thumbprintAlgorithm>-<thumbprint>.<cer|pfx>`, or `….pfx.pw` for a pfx's password. */
  fileName: Type.String({ pattern: "^[a-z0-9]+-[0-9a-f]+\\.(cer|pfx|pfx\\.pw)$" }),
  contentBase64: Type.String(),
  visibility: Type.Array(Type.Union([Type.Literal("starttask"), Type.Literal("task"), Type.Literal("remoteuser")])),
});
export type NodeCertificateFile = Static<typeof NodeCertificateFile>;

/**
 * A node user account (ComputeNode_AddUser) as the node's agent applies it. An agent running as root on Linux makes
 * it an operating-system account (docs/agent-protocol.md "Node users"); any other agent ignores it. The password
 * travels only as a crypt(3) SHA-512 hash made by the server: neither the store nor the agent ever holds it in clear.
 */
export const DesiredNodeUser = model("DesiredNodeUser", {
  name: Type.String(),
  isAdmin: Type.Boolean(),
  /** When the account expires (ISO 8601). */
  expiryTime: Type.String(),
  /** `$6$<salt>$<hash>`; absent: the account has no password (SSH key login only). */
  passwordHash: Type.Optional(Type.String({ pattern: "^\\$6\\$[^$:\\s]{1,16}\\$[./0-9A-Za-z]{86}$" })),
  /** One OpenSSH public key line, the account's whole `authorized_keys`; absent: none. */
  sshPublicKey: Type.Optional(Type.String()),
});
export type DesiredNodeUser = Static<typeof DesiredNodeUser>;

/**
 * A named user of the pool (`userAccounts`) that processes may run as (`userIdentity.username`). Passwords and keys
 * stay on the server: a task identity is never logged in to.
 */
export const DesiredUserAccount = model("DesiredUserAccount", {
  name: Type.String(),
  elevationLevel: ElevationLevel,
});
export type DesiredUserAccount = Static<typeof DesiredUserAccount>;

export const DesiredNode = model("DesiredNode", {
  nodeId: Type.String(),
  poolId: Type.String(),
  /** Bumped by reboot (same directories) and reimage (directories wiped), each followed by the start task. */
  generation: Int32({ minimum: 0 }),
  /** How the agent reaches `generation` from the one it runs. */
  generationChange: Type.Union([Type.Literal("reboot"), Type.Literal("reimage")]),
  action: Type.Union([Type.Literal("run"), Type.Literal("remove")]),
  isDedicated: Type.Boolean(),
  /** The node's task slots (the pool's `taskSlotsPerNode`): how many slots its runs may hold at once. */
  taskSlots: Int32({ minimum: 1 }),
  startTask: Type.Optional(StartTask),
  /** Run the start task until this attempt has run (0: do not run it). */
  startTaskAttempt: Int32({ minimum: 0 }),
  /** The `AZ_BATCH_*` variables every process on the node gets (account, pool, node, dedicated). */
  environment: Type.Record(Type.String(), Type.String()),
  /** The pool's application packages, installed before the start task and visible to every task of the node. */
  applicationPackages: Type.Optional(Type.Array(ApplicationPackageDeployment)),
  /** The task runs the node should have. Absent or empty: none. */
  tasks: Type.Optional(Type.Array(TaskAssignment)),
  /** Certificate files for its processes. Absent or empty: none. */
  certificates: Type.Optional(Type.Array(NodeCertificateFile)),
  /**
   * The node's user accounts. Absent or empty: none, so OS accounts the agent made for this node go (the server
   * omits them too when it is configured not to manage OS accounts).
   */
  users: Type.Optional(Type.Array(DesiredNodeUser)),
  /** The pool's `userAccounts`, for processes whose `userIdentity` names one. Absent or empty: none. */
  userAccounts: Type.Optional(Type.Array(DesiredUserAccount)),
  /**
   * The pool's container configuration as the node was made: its images are pulled while the node prepares (a pull
   * that fails makes the node unusable), its registries' credentials used for them and for task images.
   */
  containerConfiguration: Type.Optional(ContainerConfiguration),
  /**
   * The node's account may use every `containerRunOptions` (privileged containers, host namespaces, devices, host
   * paths): the server's per-account setting (docs/containers.md). Absent: those are refused on the node too.
   */
  unrestrictedContainerOptions: Type.Optional(Type.Boolean()),
});
export type DesiredNode = Static<typeof DesiredNode>;

export const AgentSyncResponse = model("AgentSyncResponse", {
  version: Type.Integer({ minimum: 0 }),
  /** Sync again at the latest after this long, even when nothing changed (heartbeat). */
  heartbeatIntervalInMs: Type.Integer({ minimum: 1 }),
  /** When true the agent has no nodes left and should exit. */
  shutdown: Type.Boolean(),
  /**
   * The dispatch lease: the agent starts task runs it has not begun yet only within this long after it sent the
   * request this answers. An agent that cannot reach the server longer stops starting runs (those in progress go on)
   * until an exchange succeeds again: by then the server may have given its nodes up and their waiting runs to other
   * nodes, so a run started from the stale desired state could run twice. The server keeps it below its node
   * heartbeat timeout. Absent: no limit.
   */
  dispatchLeaseInMs: Type.Optional(Type.Integer({ minimum: 1 })),
  nodes: Type.Array(DesiredNode),
  /**
   * The server URLs the agent may fail over to, best first (with replicas: the live ones); the agent adds them to
   * those it was started with. Absent from a single server.
   */
  serverUrls: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 64 })),
});
export type AgentSyncResponse = Static<typeof AgentSyncResponse>;
