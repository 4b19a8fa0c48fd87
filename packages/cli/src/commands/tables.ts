/**
 * The columns `--output table` shows for each kind of result, as az's batch module (_format.py) lays them out, so
 * that a table looks the same whichever command printed it.
 */
import type { Row } from "../framework/table.js";

// JSON from the wire: fields are read loosely and shown as they are.
type Item = Record<string, any>;

const list = (value: unknown): Item[] | undefined => (Array.isArray(value) ? (value as Item[]) : undefined);
/** A list's rows, or for a single object (show, create) the same columns in one row. */
const rows = (toRow: (item: Item) => Row) => (value: unknown): Row[] | undefined => {
  if (Array.isArray(value)) return (value as Item[]).map(toRow);
  return value !== null && typeof value === "object" ? [toRow(value as Item)] : undefined;
};

export const poolRows = rows((item) => ({
  "Pool Id": item["id"],
  State: item["state"],
  "Allocation State": item["allocationState"],
  "VM Size": item["vmSize"],
  "Dedicated VM Count": item["currentDedicatedNodes"],
  "Low Priority VM Count": item["currentLowPriorityNodes"],
  Type: item["virtualMachineConfiguration"] === undefined ? "PaaS" : "IaaS",
}));

export const nodeRows = rows((item) => ({
  "Node Id": item["id"],
  State: item["state"],
  "Scheduling State": item["schedulingState"],
  "Running Tasks": item["runningTasksCount"],
  "VM Size": item["vmSize"],
  "IP Address": item["ipAddress"],
}));

export const jobRows = rows((item) => ({
  "Job Id": item["id"],
  State: item["state"],
  "Previous State": item["previousState"],
  "Execution Pool": item["executionInfo"]?.poolId ?? item["poolInfo"]?.poolId ?? "",
  Priority: item["priority"],
}));

export const taskRows = rows((item) => ({
  "Task Id": item["id"],
  State: item["state"],
  "Exit Code": item["executionInfo"]?.exitCode ?? "",
  "Node Id": item["nodeInfo"]?.nodeId ?? "",
  "Command Line": item["commandLine"],
}));

export const subtaskRows = (value: unknown): Row[] | undefined =>
  list((value as Item | undefined)?.["value"])?.map((item) => ({
    "Subtask Id": item["id"],
    State: item["state"],
    "Exit Code": item["exitCode"] ?? "",
    "Node Id": item["nodeInfo"]?.nodeId ?? "",
  }));

export const taskAddRows = (value: unknown): Row[] | undefined =>
  list(value)?.map((item) => ({ "Task Id": item["taskId"], "Submission Status": item["status"], Error: item["error"]?.code ?? "" }));

export const fileRows = rows((item) => ({
  Name: item["name"],
  URL: item["url"],
  "Is Directory": item["isDirectory"] === true,
  "Content Length": item["properties"]?.contentLength ?? "",
  "Creation Time": item["properties"]?.creationTime ?? "",
}));

export const jobScheduleRows = rows((item) => ({
  "Job Schedule Id": item["id"],
  State: item["state"],
  "Previous State": item["previousState"],
  "Recent Job": item["executionInfo"]?.recentJob?.id ?? "",
  "Next Run": item["executionInfo"]?.nextRunTime ?? "",
}));

export const certificateRows = rows((item) => ({
  Thumbprint: item["thumbprint"],
  State: item["state"],
  "Previous State": item["previousState"],
  "Deletion Error": item["deleteCertificateError"] !== undefined,
}));

export const applicationSummaryRows = rows((item) => ({
  "Application Id": item["id"],
  "Display Name": item["displayName"],
  Versions: JSON.stringify(item["versions"] ?? []),
}));

export const nodeCountRows = (value: unknown): Row[] | undefined =>
  list(value)?.map((item) => ({
    "Pool Id": item["poolId"],
    "Dedicated Starting": item["dedicated"]?.starting,
    "Dedicated Idle": item["dedicated"]?.idle,
    "Dedicated Running": item["dedicated"]?.running,
    "Dedicated Total": item["dedicated"]?.total,
    "LowPri Starting": item["lowPriority"]?.starting,
    "LowPri Idle": item["lowPriority"]?.idle,
    "LowPri Running": item["lowPriority"]?.running,
    "LowPri Total": item["lowPriority"]?.total,
  }));

export const supportedImageRows = (value: unknown): Row[] | undefined =>
  list(value)?.map((item) => ({
    "OS Type": item["osType"],
    "Node Agent Sku": item["nodeAgentSKUId"],
    Publisher: item["imageReference"]?.publisher,
    Offer: item["imageReference"]?.offer,
    Sku: item["imageReference"]?.sku,
    Version: item["imageReference"]?.version,
    VerificationType: item["verificationType"],
  }));

export const usageMetricRows = (value: unknown): Row[] | undefined =>
  list(value)?.map((item) => ({
    "Pool Id": item["poolId"],
    "Start Time": item["startTime"] ?? "",
    "End Time": item["endTime"] ?? "",
    "VM Size": item["vmSize"],
    "Total Core Hours": item["totalCoreHours"],
  }));

export const prepReleaseRows = (value: unknown): Row[] | undefined =>
  list(value)?.map((item) => ({
    "Pool Id": item["poolId"],
    "Node Id": item["nodeId"],
    "Job Prep State": item["jobPreparationTaskExecutionInfo"]?.state ?? "",
    "Job Release State": item["jobReleaseTaskExecutionInfo"]?.state ?? "",
  }));

/** Task counts as one row per state group, tasks and slots side by side. */
export const taskCountRows = (value: unknown): Row[] | undefined => {
  const result = value as Item | undefined;
  const tasks = result?.["taskCounts"] as Item | undefined;
  if (tasks === undefined) return undefined;
  const slots = (result?.["taskSlotCounts"] ?? {}) as Item;
  return ["active", "running", "completed", "succeeded", "failed"].map((state) => ({ State: state, Tasks: tasks[state], Slots: slots[state] ?? "" }));
};
