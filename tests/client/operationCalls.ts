/**
 * One call per operation of the protocol table (lifetime statistics excepted), made through our client with fixed
 * arguments; shared by the wire-shape test (recording server) and the every-operation test (real server).
 * Path parameters contain characters that must be percent-encoded, and `encoded` spells out by hand what the wire
 * must carry for each, so the expected paths do not come from the client's own encoder.
 */
import type { OperationId } from "@openbatch/protocol";
import type { BatchServiceClient } from "@openbatch/client";

export const ids = {
  poolId: "pool-1",
  nodeId: "tvm-1_2",
  jobId: "job-1",
  taskId: "task-1",
  jobScheduleId: "sched-1",
  applicationId: "app-1",
  userName: "user-1",
  extensionName: "ext-1",
  filePath: "wd/sub dir/out+1(2).txt",
  thumbprintAlgorithm: "sha1",
  thumbprint: "0123abcdef",
} as const;

/** What each path parameter must look like on the wire (Python's `quote(value, safe='')`). */
export const encoded: Record<keyof typeof ids, string> = {
  poolId: "pool-1",
  nodeId: "tvm-1_2",
  jobId: "job-1",
  taskId: "task-1",
  jobScheduleId: "sched-1",
  applicationId: "app-1",
  userName: "user-1",
  extensionName: "ext-1",
  filePath: "wd%2Fsub%20dir%2Fout%2B1%282%29.txt",
  thumbprintAlgorithm: "sha1",
  thumbprint: "0123abcdef",
};

const poolSpec = {
  vmSize: "standard_d2s_v3",
  targetDedicatedNodes: 0,
  virtualMachineConfiguration: {
    imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
    nodeAgentSKUId: "batch.node.ubuntu 22.04",
  },
};

export interface OperationCallCase {
  readonly operationId: OperationId;
  /** Makes the call; lists fetch their first page; downloads drain their stream. */
  readonly invoke: (client: BatchServiceClient) => Promise<unknown>;
  /** The JSON body the client must send (undefined: no body). */
  readonly body?: unknown;
}

async function firstPage(iterator: { byPage(): AsyncIterableIterator<unknown> }): Promise<unknown> {
  return (await iterator.byPage().next()).value;
}

async function drain(download: Promise<{ readableStreamBody: AsyncIterable<unknown> }>): Promise<unknown> {
  const result = await download;
  for await (const chunk of result.readableStreamBody) void chunk;
  return result;
}

const { poolId, nodeId, jobId, taskId, jobScheduleId, applicationId, userName, extensionName, filePath, thumbprintAlgorithm, thumbprint } = ids;
const startTime = "2024-03-05T10:00:00.000Z";

export const operationCalls: readonly OperationCallCase[] = [
  { operationId: "Application_List", invoke: (c) => firstPage(c.application.list()) },
  { operationId: "Application_Get", invoke: (c) => c.application.get(applicationId) },
  { operationId: "Account_ListSupportedImages", invoke: (c) => firstPage(c.account.listSupportedImages()) },
  { operationId: "Account_ListPoolNodeCounts", invoke: (c) => firstPage(c.account.listPoolNodeCounts()) },
  { operationId: "Pool_ListUsageMetrics", invoke: (c) => firstPage(c.pool.listUsageMetrics()) },
  { operationId: "Pool_Add", invoke: (c) => c.pool.add({ id: "pool-added", ...poolSpec }), body: { id: "pool-added", ...poolSpec } },
  { operationId: "Pool_List", invoke: (c) => firstPage(c.pool.list()) },
  { operationId: "Pool_Delete", invoke: (c) => c.pool.delete(poolId) },
  { operationId: "Pool_Exists", invoke: (c) => c.pool.exists(poolId) },
  { operationId: "Pool_Get", invoke: (c) => c.pool.get(poolId) },
  { operationId: "Pool_Patch", invoke: (c) => c.pool.patch(poolId, { metadata: [{ name: "a", value: "b" }] }), body: { metadata: [{ name: "a", value: "b" }] } },
  { operationId: "Pool_DisableAutoScale", invoke: (c) => c.pool.disableAutoScale(poolId) },
  {
    operationId: "Pool_EnableAutoScale",
    invoke: (c) => c.pool.enableAutoScale(poolId, { autoScaleFormula: "$TargetDedicatedNodes=0;", autoScaleEvaluationInterval: "PT5M" }),
    body: { autoScaleFormula: "$TargetDedicatedNodes=0;", autoScaleEvaluationInterval: "PT5M" },
  },
  { operationId: "Pool_EvaluateAutoScale", invoke: (c) => c.pool.evaluateAutoScale(poolId, "$TargetDedicatedNodes=1;"), body: { autoScaleFormula: "$TargetDedicatedNodes=1;" } },
  { operationId: "Pool_Resize", invoke: (c) => c.pool.resize(poolId, { targetDedicatedNodes: 2 }), body: { targetDedicatedNodes: 2 } },
  { operationId: "Pool_StopResize", invoke: (c) => c.pool.stopResize(poolId) },
  {
    operationId: "Pool_UpdateProperties",
    invoke: (c) => c.pool.updateProperties(poolId, { certificateReferences: [], applicationPackageReferences: [], metadata: [] }),
    body: { certificateReferences: [], applicationPackageReferences: [], metadata: [] },
  },
  { operationId: "Pool_RemoveNodes", invoke: (c) => c.pool.removeNodes(poolId, { nodeList: [nodeId] }), body: { nodeList: [nodeId] } },
  { operationId: "Job_Delete", invoke: (c) => c.job.delete(jobId) },
  { operationId: "Job_Get", invoke: (c) => c.job.get(jobId) },
  { operationId: "Job_Patch", invoke: (c) => c.job.patch(jobId, { priority: 5 }), body: { priority: 5 } },
  { operationId: "Job_Update", invoke: (c) => c.job.update(jobId, { poolInfo: { poolId } }), body: { poolInfo: { poolId } } },
  { operationId: "Job_Disable", invoke: (c) => c.job.disable(jobId, "requeue"), body: { disableTasks: "requeue" } },
  { operationId: "Job_Enable", invoke: (c) => c.job.enable(jobId) },
  { operationId: "Job_Terminate", invoke: (c) => c.job.terminate(jobId, { terminateReason: "done" }), body: { terminateReason: "done" } },
  { operationId: "Job_Add", invoke: (c) => c.job.add({ id: "job-added", poolInfo: { poolId } }), body: { id: "job-added", poolInfo: { poolId } } },
  { operationId: "Job_List", invoke: (c) => firstPage(c.job.list()) },
  { operationId: "Job_ListFromJobSchedule", invoke: (c) => firstPage(c.job.listFromJobSchedule(jobScheduleId)) },
  { operationId: "Job_ListPreparationAndReleaseTaskStatus", invoke: (c) => firstPage(c.job.listPreparationAndReleaseTaskStatus(jobId)) },
  { operationId: "Job_GetTaskCounts", invoke: (c) => c.job.getTaskCounts(jobId) },
  {
    operationId: "Certificate_Add",
    invoke: (c) => c.certificate.add({ thumbprint: "abcdef0123", thumbprintAlgorithm: "sha1", data: "MIIBCgKCAQEA", certificateFormat: "cer" }),
    body: { thumbprint: "abcdef0123", thumbprintAlgorithm: "sha1", data: "MIIBCgKCAQEA", certificateFormat: "cer" },
  },
  { operationId: "Certificate_List", invoke: (c) => firstPage(c.certificate.list()) },
  { operationId: "Certificate_CancelDeletion", invoke: (c) => c.certificate.cancelDeletion(thumbprintAlgorithm, thumbprint) },
  { operationId: "Certificate_Delete", invoke: (c) => c.certificate.delete(thumbprintAlgorithm, thumbprint) },
  { operationId: "Certificate_Get", invoke: (c) => c.certificate.get(thumbprintAlgorithm, thumbprint) },
  { operationId: "File_DeleteFromTask", invoke: (c) => c.file.deleteFromTask(jobId, taskId, filePath) },
  { operationId: "File_GetFromTask", invoke: (c) => drain(c.file.getFromTask(jobId, taskId, filePath)) },
  { operationId: "File_GetPropertiesFromTask", invoke: (c) => c.file.getPropertiesFromTask(jobId, taskId, filePath) },
  { operationId: "File_DeleteFromComputeNode", invoke: (c) => c.file.deleteFromComputeNode(poolId, nodeId, filePath) },
  { operationId: "File_GetFromComputeNode", invoke: (c) => drain(c.file.getFromComputeNode(poolId, nodeId, filePath)) },
  { operationId: "File_GetPropertiesFromComputeNode", invoke: (c) => c.file.getPropertiesFromComputeNode(poolId, nodeId, filePath) },
  { operationId: "File_ListFromTask", invoke: (c) => firstPage(c.file.listFromTask(jobId, taskId)) },
  { operationId: "File_ListFromComputeNode", invoke: (c) => firstPage(c.file.listFromComputeNode(poolId, nodeId)) },
  { operationId: "JobSchedule_Exists", invoke: (c) => c.jobSchedule.exists(jobScheduleId) },
  { operationId: "JobSchedule_Delete", invoke: (c) => c.jobSchedule.delete(jobScheduleId) },
  { operationId: "JobSchedule_Get", invoke: (c) => c.jobSchedule.get(jobScheduleId) },
  { operationId: "JobSchedule_Patch", invoke: (c) => c.jobSchedule.patch(jobScheduleId, { metadata: [] }), body: { metadata: [] } },
  {
    operationId: "JobSchedule_Update",
    invoke: (c) => c.jobSchedule.update(jobScheduleId, { schedule: { recurrenceInterval: "PT1H" }, jobSpecification: { poolInfo: { poolId } } }),
    body: { schedule: { recurrenceInterval: "PT1H" }, jobSpecification: { poolInfo: { poolId } } },
  },
  { operationId: "JobSchedule_Disable", invoke: (c) => c.jobSchedule.disable(jobScheduleId) },
  { operationId: "JobSchedule_Enable", invoke: (c) => c.jobSchedule.enable(jobScheduleId) },
  { operationId: "JobSchedule_Terminate", invoke: (c) => c.jobSchedule.terminate(jobScheduleId) },
  {
    operationId: "JobSchedule_Add",
    invoke: (c) => c.jobSchedule.add({ id: "sched-added", schedule: { recurrenceInterval: "PT1H" }, jobSpecification: { poolInfo: { poolId } } }),
    body: { id: "sched-added", schedule: { recurrenceInterval: "PT1H" }, jobSpecification: { poolInfo: { poolId } } },
  },
  { operationId: "JobSchedule_List", invoke: (c) => firstPage(c.jobSchedule.list()) },
  { operationId: "Task_Add", invoke: (c) => c.task.add(jobId, { id: "task-added", commandLine: "echo hi" }), body: { id: "task-added", commandLine: "echo hi" } },
  { operationId: "Task_List", invoke: (c) => firstPage(c.task.list(jobId)) },
  {
    operationId: "Task_AddCollection",
    invoke: (c) => c.task.addCollection(jobId, [{ id: "task-bulk", commandLine: "echo bulk" }]),
    body: { value: [{ id: "task-bulk", commandLine: "echo bulk" }] },
  },
  { operationId: "Task_Delete", invoke: (c) => c.task.delete(jobId, taskId) },
  { operationId: "Task_Get", invoke: (c) => c.task.get(jobId, taskId) },
  { operationId: "Task_Update", invoke: (c) => c.task.update(jobId, taskId, { constraints: { maxTaskRetryCount: 2 } }), body: { constraints: { maxTaskRetryCount: 2 } } },
  { operationId: "Task_ListSubtasks", invoke: (c) => c.task.listSubtasks(jobId, taskId) },
  { operationId: "Task_Terminate", invoke: (c) => c.task.terminate(jobId, taskId) },
  { operationId: "Task_Reactivate", invoke: (c) => c.task.reactivate(jobId, taskId) },
  {
    operationId: "ComputeNode_AddUser",
    invoke: (c) => c.computeNode.addUser(poolId, nodeId, { name: "user-added", password: "Secret-123", isAdmin: false }),
    body: { name: "user-added", password: "Secret-123", isAdmin: false },
  },
  { operationId: "ComputeNode_DeleteUser", invoke: (c) => c.computeNode.deleteUser(poolId, nodeId, userName) },
  { operationId: "ComputeNode_UpdateUser", invoke: (c) => c.computeNode.updateUser(poolId, nodeId, userName, { password: "Other-456" }), body: { password: "Other-456" } },
  { operationId: "ComputeNode_Get", invoke: (c) => c.computeNode.get(poolId, nodeId) },
  { operationId: "ComputeNode_Reboot", invoke: (c) => c.computeNode.reboot(poolId, nodeId, { nodeRebootOption: "terminate" }), body: { nodeRebootOption: "terminate" } },
  { operationId: "ComputeNode_Reimage", invoke: (c) => c.computeNode.reimage(poolId, nodeId, { nodeReimageOption: "requeue" }), body: { nodeReimageOption: "requeue" } },
  {
    operationId: "ComputeNode_DisableScheduling",
    invoke: (c) => c.computeNode.disableScheduling(poolId, nodeId, { nodeDisableSchedulingOption: "taskcompletion" }),
    body: { nodeDisableSchedulingOption: "taskcompletion" },
  },
  { operationId: "ComputeNode_EnableScheduling", invoke: (c) => c.computeNode.enableScheduling(poolId, nodeId) },
  { operationId: "ComputeNode_GetRemoteLoginSettings", invoke: (c) => c.computeNode.getRemoteLoginSettings(poolId, nodeId) },
  { operationId: "ComputeNode_GetRemoteDesktop", invoke: (c) => drain(c.computeNode.getRemoteDesktop(poolId, nodeId)) },
  {
    operationId: "ComputeNode_UploadBatchServiceLogs",
    invoke: (c) => c.computeNode.uploadBatchServiceLogs(poolId, nodeId, { containerUrl: "https://account.blob.core.windows.net/logs?sv=x", startTime }),
    body: { containerUrl: "https://account.blob.core.windows.net/logs?sv=x", startTime },
  },
  { operationId: "ComputeNode_List", invoke: (c) => firstPage(c.computeNode.list(poolId)) },
  { operationId: "ComputeNodeExtension_Get", invoke: (c) => c.computeNodeExtension.get(poolId, nodeId, extensionName) },
  { operationId: "ComputeNodeExtension_List", invoke: (c) => firstPage(c.computeNodeExtension.list(poolId, nodeId)) },
];

/** The operation's path with `encoded` values substituted, independently of the client's encoder. */
export function expectedPath(template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = encoded[name as keyof typeof encoded];
    if (value === undefined) throw new Error(`no encoded value for ${name}`);
    return value;
  });
}
