/**
 * Operations OpenBatch does not implement yet. Each still has an explicit handler, so the handler table stays
 * complete (a forgotten operation does not compile); the handler answers 501 NotImplemented (an OpenBatch-only
 * code) naming the operation, and `implementedOperations` leaves it out, which is what the support matrix and the
 * server's `implementedOperations` report.
 *
 * Today there is none: the last two, the lifetime statistics of api-version 2022-10-01.16.0, are implemented
 * (handlers/job.ts, handlers/pool.ts; issue #14 item 6).
 */
import { serviceError } from "@openbatch/core";
import { extensionOperations, operations, type OperationId } from "@openbatch/protocol";
import type { HandlerTable, OperationResult } from "../http/context.js";

const notImplementedHandlers = new WeakSet<object>();

export function notImplemented(operationId: OperationId): () => Promise<OperationResult> {
  const handler = async (): Promise<OperationResult> => {
    throw serviceError("NotImplemented", {
      message: `OpenBatch does not implement ${operationId} yet.`,
      values: [{ key: "OperationId", value: operationId }],
    });
  };
  notImplementedHandlers.add(handler);
  return handler;
}

/** The operations of a handler table that do more than answer 501 NotImplemented. */
export function implementedOperations(table: HandlerTable): ReadonlySet<OperationId> {
  const ids = [...operations, ...extensionOperations].map((operation) => operation.operationId);
  return new Set(ids.filter((id) => !notImplementedHandlers.has(table[id])));
}
