/**
 * Operations OpenBatch does not implement yet. Each still has an explicit handler, so the handler table stays
 * complete (a forgotten operation does not compile); the handler answers 501 NotImplemented (an OpenBatch-only
 * code) naming the operation, and `implementedOperations` leaves it out, which is what the support matrix and the
 * server's `implementedOperations` report.
 *
 * Today these are the two lifetime-statistics operations of api-version 2022-10-01.16.0 (removed in 2023-05-01.17.0,
 * where the pipeline answers 400 InvalidUri before any handler); issue #14 item 6 implements them.
 */
import { serviceError } from "@openbatch/core";
import { extensionOperations, operations, type OperationId } from "@openbatch/protocol";
import type { HandlerTable, OperationResult } from "../http/context.js";

const notImplementedHandlers = new WeakSet<object>();

function notImplemented(operationId: OperationId): () => Promise<OperationResult> {
  const handler = async (): Promise<OperationResult> => {
    throw serviceError("NotImplemented", {
      message: `OpenBatch does not implement ${operationId} yet.`,
      values: [{ key: "OperationId", value: operationId }],
    });
  };
  notImplementedHandlers.add(handler);
  return handler;
}

export function lifetimeStatisticsHandlers() {
  return {
    Pool_GetAllLifetimeStatistics: notImplemented("Pool_GetAllLifetimeStatistics"),
    Job_GetAllLifetimeStatistics: notImplemented("Job_GetAllLifetimeStatistics"),
  } satisfies Partial<HandlerTable>;
}

/** The operations of a handler table that do more than answer 501 NotImplemented. */
export function implementedOperations(table: HandlerTable): ReadonlySet<OperationId> {
  const ids = [...operations, ...extensionOperations].map((operation) => operation.operationId);
  return new Set(ids.filter((id) => !notImplementedHandlers.has(table[id])));
}
