/**
 * Which properties each list operation can filter on, with which operators and how their values compare
 * ("OData filters in Batch", semantics.md §13). A `$filter` naming anything else is refused with a 400 naming it.
 */
import type { ComparisonOperator, ValueKind } from "@openbatch/core";

export type FilterOperator = ComparisonOperator | "startswith";

export interface FilterableProperty {
  readonly kind: ValueKind;
  readonly operators: readonly FilterOperator[];
  /** The stored entity's field, `/`-separated, when it differs from the OData name (node counts filter pools). */
  readonly field?: string;
}

const cmp: readonly FilterOperator[] = ["eq", "ne", "gt", "ge", "lt", "le"];
const idOps: readonly FilterOperator[] = [...cmp, "startswith"];
const eq: readonly FilterOperator[] = ["eq"];
const eqNe: readonly FilterOperator[] = ["eq", "ne"];

const p = (kind: ValueKind, operators: readonly FilterOperator[], field?: string): FilterableProperty =>
  field === undefined ? { kind, operators } : { kind, operators, field };

const executionInfoTimes = {
  "executionInfo/startTime": p("datetime", cmp),
  "executionInfo/endTime": p("datetime", cmp),
};

function taskInfo(prefix: string): Record<string, FilterableProperty> {
  return {
    [`${prefix}/state`]: p("enum", eq),
    [`${prefix}/startTime`]: p("datetime", cmp),
    [`${prefix}/endTime`]: p("datetime", cmp),
    [`${prefix}/exitCode`]: p("int", cmp),
    [`${prefix}/result`]: p("enum", eqNe),
  };
}

/** Filterable properties per list, keyed by the `/`-separated OData property path. */
export const filterableProperties = {
  pools: {
    id: p("caseInsensitiveString", idOps),
    state: p("enum", eq),
    allocationState: p("enum", eq),
    stateTransitionTime: p("datetime", cmp),
    allocationStateTransitionTime: p("datetime", cmp),
    creationTime: p("datetime", cmp),
    lastModified: p("datetime", cmp),
    enableAutoScale: p("bool", eqNe),
    enableInterNodeCommunication: p("bool", eqNe),
    vmSize: p("caseInsensitiveString", eqNe),
  },
  nodes: {
    state: p("enum", eqNe),
    stateTransitionTime: p("datetime", cmp),
    lastBootTime: p("datetime", cmp),
    allocationTime: p("datetime", cmp),
    "startTaskInfo/startTime": p("datetime", cmp),
    "startTaskInfo/endTime": p("datetime", cmp),
    "startTaskInfo/exitCode": p("int", cmp),
    "startTaskInfo/state": p("enum", eq),
    "startTaskInfo/result": p("enum", eqNe),
  },
  jobs: {
    id: p("caseInsensitiveString", idOps),
    state: p("enum", eq),
    stateTransitionTime: p("datetime", cmp),
    creationTime: p("datetime", cmp),
    lastModified: p("datetime", cmp),
    ...executionInfoTimes,
    "executionInfo/poolId": p("caseInsensitiveString", idOps),
  },
  jobsFromSchedule: {
    state: p("enum", eq),
    stateTransitionTime: p("datetime", cmp),
    creationTime: p("datetime", cmp),
    lastModified: p("datetime", cmp),
    ...executionInfoTimes,
    "executionInfo/poolId": p("caseInsensitiveString", idOps),
  },
  jobSchedules: {
    id: p("caseInsensitiveString", idOps),
    state: p("enum", eq),
    stateTransitionTime: p("datetime", cmp),
    creationTime: p("datetime", cmp),
    lastModified: p("datetime", cmp),
    "executionInfo/endTime": p("datetime", cmp),
    "schedule/doNotRunUntil": p("datetime", cmp),
    "schedule/doNotRunAfter": p("datetime", cmp),
  },
  tasks: {
    id: p("caseInsensitiveString", idOps),
    state: p("enum", eq),
    stateTransitionTime: p("datetime", cmp),
    creationTime: p("datetime", cmp),
    lastModified: p("datetime", cmp),
    ...executionInfoTimes,
    "executionInfo/exitCode": p("int", cmp),
    "executionInfo/result": p("enum", eqNe),
  },
  preparationAndReleaseTaskStatus: {
    poolId: p("caseInsensitiveString", eqNe),
    nodeId: p("caseInsensitiveString", eqNe),
    ...taskInfo("jobPreparationTaskExecutionInfo"),
    ...taskInfo("jobReleaseTaskExecutionInfo"),
  },
  files: {
    name: p("string", ["startswith"]),
  },
  nodeCounts: {
    poolId: p("caseInsensitiveString", eq, "id"),
  },
  usageMetrics: {
    poolId: p("caseInsensitiveString", ["eq", "ge", "gt", "le", "lt", "startswith"]),
  },
  certificates: {
    state: p("enum", eqNe),
    stateTransitionTime: p("datetime", cmp),
  },
  supportedImages: {
    osType: p("enum", eqNe),
    verificationType: p("enum", eqNe),
    nodeAgentSKUId: p("caseInsensitiveString", eqNe),
  },
} as const satisfies Record<string, Record<string, FilterableProperty>>;

export type FilterTarget = keyof typeof filterableProperties;
