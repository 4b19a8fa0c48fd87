// Writes docs/support-matrix.md from the protocol's operation table and the server's handler table, so the matrix
// cannot drift from the code. `--check` exits 1 when the committed file is stale (run by the test suite).
import { readFileSync, writeFileSync } from "node:fs";
import { extensionOperations, operations } from "@openbatch/protocol";
import { createHandlerTable, implementedOperations } from "@openbatch/server";

/** What an implemented operation does not do yet, or how it differs from Azure. */
const taskFilesNote =
  "Resource and output files go through blob storage with SAS URLs; `autoStorageContainerName` needs the server's `autoStorage` option, `identityReference` is refused (no managed identities), and `uploadHeaders` are limited to blob properties and `x-ms-meta-*`.";
const containerNote =
  "`containerSettings` run the task in a container (podman, or docker; docs/containers.md): the node's tree at `/mnt/batch/tasks`, the host's network, the image pulled with the run's credentials; `containerRunOptions` that reach outside the container are refused (400 naming the option) unless the server lets the account use them.";
const scheduleNote = "The schedule's state changes at once (no `terminating`/`deleting` phase is seen).";
const identityNote =
  "`userIdentity` (a pool user, or an auto-user of pool or task scope, non-admin or admin) decides the OS account the process runs as when agents run as root with task isolation, each in a sandbox of its node; `AZ_BATCH_TASK_USER_IDENTITY` names the identity and `AZ_BATCH_TASK_USER` the OS account in every mode. Admin gives no host privileges; a user the pool does not have fails the run (`CommandLaunchFailed`). docs/security.md.";
const statsNote = "docs/statistics.md says what each figure measures and where it is approximate.";
const quotaNote = "docs/quotas.md";
const notes = {
  Task_Add: `${taskFilesNote} ${identityNote} ${containerNote}`,
  Task_AddCollection: `${taskFilesNote} ${identityNote} ${containerNote}`,
  JobSchedule_Add: `Jobs \`<id>:job-N\` are made by a runner on the server's clock; \`jobSpecification\` follows Job_Add's rules; auto pools with lifetime \`job\` (one per job) or \`jobSchedule\` (one for the schedule, deleted with it). 409 \`ActiveJobAndScheduleQuotaReached\` when the account's jobs and schedules not completed reach its quota (${quotaNote}).`,
  JobSchedule_Terminate: `Ends the active job with \`TerminateJobSchedule\`. ${scheduleNote}`,
  JobSchedule_Delete: `Deletes the schedule's jobs and tasks in the same transaction. ${scheduleNote}`,
  JobSchedule_Get: `\`$expand=stats\`: the figures of the schedule's jobs that still exist (a deleted job's leave it). ${statsNote}`,
  Job_Get: `\`$expand=stats\`: what the job's runs used (the agents' measurements), its successes, failures and retries, updated in the transactions in which its runs end; \`waitTime\` is PT0S, as the service documents it (lifetime statistics only). ${statsNote}`,
  Job_GetAllLifetimeStatistics: `Served at 2022-10-01.16.0 (azure-batch 13.0.1, @azure/batch 10.2.0): the account's jobs, deleted ones included, with their tasks' wait time. ${statsNote}`,
  Pool_GetAllLifetimeStatistics: `Served at 2022-10-01.16.0 (azure-batch 13.0.1, @azure/batch 10.2.0): the account's pools, deleted ones included. ${statsNote}`,
  Task_Get: `\`$expand=stats\` (also on Task_List): the CPU time, read/write calls and bytes of each run's process tree as its agent measured it, the wall clock of all runs (a run in progress up to now), the wait from creation to the latest start. ${statsNote}`,
  Certificate_Add: "pfx (password checked; legacy RC2-40/3DES/SHA-1-MAC files too) or cer; the SHA-1 thumbprint must match the data. Files reach nodes of pools that reference it, in `$AZ_BATCH_CERTIFICATES_DIR`.",
  Certificate_CancelDeletion: "A `deletefailed` certificate is `active` again; an `active` one is 409 `CertificateStateActive`.",
  Certificate_Delete: "Gone at once when no pool references it; otherwise `deletefailed` with `deleteCertificateError` code `CertificateInUse` naming the pools.",
  Job_Add: `Auto pools with lifetime \`job\` are made at once (\`executionInfo.poolId\`) and deleted when the job completes or is deleted (unless \`keepAlive\`); a refused pool specification completes the job with \`schedulingError\` \`InvalidAutoPoolSettings\`, the pool quota reached with \`AutoPoolCreationFailedWithQuotaReached\`. The job manager, preparation and release tasks run as their \`userIdentity\` (see Task_Add); their \`containerSettings\` run them in containers (docs/containers.md). 409 \`ActiveJobAndScheduleQuotaReached\` when the account's jobs and schedules not completed reach its quota (${quotaNote}).`,
  Job_Disable: "`requeue` and `terminate` act on running tasks in the same transaction, so the job is `disabled` at once; `wait` keeps it `disabling` until they finish.",
  Job_Terminate: "Running tasks are killed (completed as failed, `TaskEnded`), active ones stay active; the job is `terminating` while its release tasks run, else `completed` at once.",
  Job_Delete: "Removes the tasks at once and kills their running processes; a job still active with release tasks to run is `deleting` until they end.",
  Pool_Add: "Stored and returned faithfully. The local provider runs each node on this machine (its own directory tree, hosted by a node agent process with several nodes each; the image and VM size are recorded, not booted); `containerConfiguration` pools pull their `containerImageNames` on every node before it turns idle (a failed pull makes the node `unusable` with `ContainerInvalidImage` or `ContainerInvalidRegistry`) and are refused where the agents have no container runtime (docs/containers.md); what it cannot honour (Windows images, mountConfiguration, a vmSize outside its table) is refused with 400 naming the field, as is an `imageReference` that is neither a marketplace image nor an image id. The pool is `resizing` until every node has been reached by its agent, then `steady`; past `resizeTimeout` it settles with `AllocationTimedOut` in `resizeErrors`. `userAccounts` are the identities processes may run as (`userIdentity.username`; an OS account each when agents run as root, docs/security.md); their passwords, `linuxUserConfiguration` and `windowsUserConfiguration` are recorded only. The start task runs as its `userIdentity`. Without target counts (and autoscale) both targets are 0. Configuration recorded without local meaning is validated as the service does: ARM ids (`subnetId`, `virtualMachineImageId`, public IP ids, service artifact) must be in the server's subscription (`--subscription-id`), and NAT pool rules, disks, disk encryption, extensions, security profile, license type and upgrade policy are checked (docs/compatibility.md). Nodes are allocated up to the account's dedicated and Spot core quotas (cores of the VM size; by default from this host's CPUs and memory), whichever provider runs them: beyond them the pool settles short of its targets with `AccountCoreQuotaReached` / `AccountLowPriorityCoreQuotaReached` in `resizeErrors`; 409 `PoolQuotaReached` when the account has its quota of pools (docs/quotas.md).",
  Task_Terminate: "The task completes as failed (`TaskEnded`); a task ended by a request takes no `onTaskFailure` job action (docs/compatibility.md).",
  Task_Reactivate: "Only a failed, completed task of a job that is not completed, terminating or deleting (409 `JobCompleted`, `JobBeingTerminated`, `JobBeingDeleted`).",
  ComputeNode_List: "`endpointConfiguration.inboundEndpoints` lists each inbound NAT pool and the default SSH rule with per-node frontend ports, as Azure does; nothing translates them locally (docs/compatibility.md).",
  Pool_Resize: "Leaving nodes follow `nodeDeallocationOption`: requeue (default) or terminate their running tasks, or drain as `leavingpool` until they finish (taskcompletion, retaineddata). Growth stops at the account's core quotas, as for Pool_Add.",
  Pool_RemoveNodes: "requeue/terminate act at once; taskcompletion/retaineddata drain the named nodes (`leavingpool`, no new tasks). `resizeTimeout` is honoured: on expiry the pool goes steady with `AllocationTimedOut` and keeps nodes still draining.",
  Pool_Delete: "A pool without nodes is removed at once; running tasks of its nodes are requeued.",
  Pool_Get: `\`$expand=stats\` (also on Pool_List): dedicated core time from the node allocations; CPU, disk I/O and peak memory of the processes the pool's nodes ran, average and peak memory and disk from the agents' samples; network figures are 0 (not measured). ${statsNote}`,
  Account_ListPoolNodeCounts: "Counts each pool's nodes by state, dedicated and Spot/low-priority apart, from the same records the node list reads.",
  ComputeNode_AddUser:
    "An agent running as root on Linux makes the user an OS account of its host (useradd, home under /home, password as a SHA-512 crypt hash, `chage` expiry, `authorized_keys`, `sudo` group for isAdmin); otherwise, or with `--no-node-os-users`, it is recorded only. An existing account OpenBatch did not create is never touched (the user stays a record; the agent logs why). docs/agent-protocol.md \"Node users\".",
  ComputeNode_UpdateUser: "Replaces password, key and expiry (omitted ones removed or reset) on the OS account too. Nodes of one host share an account of one name: the last change wins.",
  ComputeNode_DeleteUser: "The OS account and its home are deleted once no node of the host still has the user (a pool's deletion releases its nodes' users).",
  ComputeNode_Reboot: "All four options. taskcompletion/retaineddata: the node is `rebooting` at once and takes no new tasks; it reboots when its last task ends (retention periods are not waited for).",
  ComputeNode_Reimage: "As reboot; the node directory is wiped. taskcompletion/retaineddata wait for running tasks.",
  ComputeNode_Get: "`recentTasks` (last 10, newest first, subtaskId for multi-instance instances); `errors` + `unusable` when a pool application package cannot be installed (`ApplicationPackageError`).",
  Application_List: "Applications and versions come from zips uploaded with `openbatch application upload` (an admin endpoint; the management plane is not emulated). Pool and task `applicationPackageReferences` deploy them to nodes.",
  Application_Get: "Default versions are set with `openbatch application set-default`; ApplicationSummary does not show them, as in Azure.",
  Pool_ListUsageMetrics: "30-minute intervals aligned on UTC :00/:30, reported as soon as they end (no 2-hour delay, so starttime/endtime need not be in the past); a node counts from allocation until it is removed.",
  Pool_EnableAutoScale: "Evaluates at once; samples every 30 s of the server clock. `$CPUPercent` is the mean CPU use the agents of the pool's idle and running nodes measure on their hosts (nodes an agent shares report its one figure); the retired resource metrics (memory, disk, network) get no samples, as on Azure since March 2024.",
  Pool_EvaluateAutoScale: "Samples the metrics now (without storing the sample) and evaluates; evaluation errors come back in `error` with 200, syntax errors as 400 AutoScalingFormulaSyntaxError.",
  ComputeNode_UploadBatchServiceLogs: "Uploads the node's agent log before answering (Azure answers first), so storage failures are reported: 400 InvalidPropertyValue naming containerUrl. `identityReference` is refused (no managed identities).",
};

const extensionNotes = {
  OpenBatch_GetAutoScaleHistory: "The pool's recorded metric samples (last 25 h) and evaluations, in the file format `openbatch autoscale simulate --history` reads.",
  OpenBatch_PreemptNode: "Preempts a Spot/low-priority node now (`recoverafterseconds`, default 30): it turns `preempted`, loses its files, and comes back with the same id. `--spot-eviction-rate` does it at random on its own.",
};

// Every operation has a handler (the table type says so); those that only answer 501 are not counted.
const implementedIds = implementedOperations(createHandlerTable({}));
const groups = new Map();
for (const operation of operations) {
  const group = operation.operationId.split("_")[0];
  if (!groups.has(group)) groups.set(group, []);
  groups.get(group).push(operation);
}

let implemented = 0;
const lines = [
  "# Support matrix",
  "",
  "Every operation of the Azure Batch data-plane API 2024-02-01.19.0 (plus the two lifetime-statistics operations of",
  "2022-10-01.16.0), and whether OpenBatch implements it. Generated by `node scripts/supportMatrix.mjs` from the",
  "operation table in `packages/protocol` and the server's handlers; a test fails when it is stale.",
  "Unimplemented operations answer `501 NotImplemented` with a Batch error body.",
  "",
];
for (const [group, list] of groups) {
  lines.push(`## ${group}`, "", "| operation | method and path | status | implemented | notes |", "|---|---|---|---|---|");
  for (const operation of list) {
    const done = implementedIds.has(operation.operationId);
    if (done) implemented++;
    const removed = operation.removedIn === undefined ? "" : `Removed in ${operation.removedIn}: refused with 400 InvalidUri for that and later api-versions. `;
    lines.push(`| ${operation.operationId} | \`${operation.method} ${operation.path}\` | ${operation.status} | ${done ? "yes" : "no"} | ${removed}${notes[operation.operationId] ?? ""} |`);
  }
  lines.push("");
}
lines.push(
  "## OpenBatch extensions",
  "",
  "Operations Azure Batch does not have, served through the same pipeline (api-version, authentication, Batch errors).",
  "",
  "| operation | method and path | status | what for |",
  "|---|---|---|---|",
  ...extensionOperations.map((operation) => `| ${operation.operationId} | \`${operation.method} ${operation.path}\` | ${operation.status} | ${extensionNotes[operation.operationId] ?? ""} |`),
  "",
);
lines.splice(7, 0, `**${implemented} of ${operations.length} operations implemented.**`, "");
const rendered = lines.join("\n");

const target = new URL("../docs/support-matrix.md", import.meta.url);
if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // missing counts as stale
  }
  if (committed !== rendered) {
    console.error("docs/support-matrix.md is stale: run `node scripts/supportMatrix.mjs`");
    process.exit(1);
  }
} else {
  writeFileSync(target, rendered);
}
