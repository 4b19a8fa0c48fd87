/**
 * What the event stream says about a committed write: one `EntityChange` per entity a transaction inserted,
 * replaced or deleted, reduced to what a watcher needs to decide whether to re-read (kind, parent, id, the new
 * state and a few counters). Only resources of the Batch API are told; the server's own bookkeeping rows (agents,
 * samples, usage) are not.
 */
import type { EntityKind, EntityRef } from "@openbatch/store";

/** The kinds a watcher can see, with the name of the parent id in their events. */
const publicKinds: Partial<Record<EntityKind, "poolId" | "jobId" | undefined>> = {
  pool: undefined,
  node: "poolId",
  job: undefined,
  jobSchedule: undefined,
  task: "jobId",
  certificate: undefined,
  application: undefined,
};

export type ChangeKind = "insert" | "replace" | "delete" | "deleteAll";

export interface EntityChange {
  readonly change: ChangeKind;
  readonly kind: EntityKind;
  /** The parent's id (a task's job, a node's pool); "" for top-level resources. */
  readonly scope: string;
  /** Absent for `deleteAll` (every entity of the kind under `scope`). */
  readonly id?: string;
  /** The new body (inserts and replaces), summarised only when someone watches (`summarize`). */
  readonly body?: unknown;
  readonly eTag?: string;
  readonly lastModified?: Date;
}

export function isPublicKind(kind: EntityKind): boolean {
  return kind in publicKinds;
}

export function parentName(kind: EntityKind): "poolId" | "jobId" | undefined {
  return publicKinds[kind];
}

/** Top-level properties of a body copied into its event, per kind. */
const summaryFields: Partial<Record<EntityKind, readonly string[]>> = {
  pool: ["state", "allocationState", "currentDedicatedNodes", "currentLowPriorityNodes", "targetDedicatedNodes", "targetLowPriorityNodes"],
  node: ["state", "schedulingState", "runningTasksCount", "runningTaskSlotsCount", "totalTasksRun"],
  job: ["state"],
  jobSchedule: ["state"],
  task: ["state"],
  certificate: ["state"],
  application: [],
};

/** The body's state and counters; a task's exit code, result and retry count too. */
export function summarize(kind: EntityKind, body: unknown): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  if (typeof body !== "object" || body === null) return summary;
  const record = body as Record<string, unknown>;
  for (const field of summaryFields[kind] ?? []) {
    if (record[field] !== undefined) summary[field] = record[field];
  }
  if (kind === "task") {
    const info = record["executionInfo"] as Record<string, unknown> | undefined;
    for (const field of ["exitCode", "result", "retryCount", "requeueCount"]) {
      if (info?.[field] !== undefined) summary[field] = info[field];
    }
  }
  return summary;
}

export function changeOf(change: ChangeKind, ref: Omit<EntityRef, "id"> & { id?: string }, entity?: { body: unknown; eTag: string; lastModified: Date }): EntityChange {
  // Kept as it comes: the transaction pays for an object, the formatting happens after commit and only if watched.
  return entity === undefined
    ? { change, kind: ref.kind, scope: ref.scope, ...(ref.id === undefined ? {} : { id: ref.id }) }
    : { change, kind: ref.kind, scope: ref.scope, id: ref.id as string, body: entity.body, eTag: entity.eTag, lastModified: entity.lastModified };
}
