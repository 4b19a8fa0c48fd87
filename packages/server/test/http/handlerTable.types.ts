/**
 * Compile-time proof that the handler table is complete and typed from the protocol's operation table. This file
 * only has to compile (it is part of the test build, `tsc -b`): every `@ts-expect-error` below must meet an error,
 * or the build fails with "Unused '@ts-expect-error' directive". Nothing here runs.
 */
import type { OperationSpec } from "@openbatch/protocol";
import type { HandlerTable, OperationHandler, OperationResult } from "../../src/http/context.js";

const done: OperationResult = {};

/** A table without one of the operations is not a HandlerTable. */
export function missingHandler(table: HandlerTable): HandlerTable {
  const { Pool_Get: _dropped, ...withoutPoolGet } = table;
  // @ts-expect-error -- Pool_Get has no handler, so this is not a complete table.
  const incomplete: HandlerTable = withoutPoolGet;
  // Neither is a table without the operations OpenBatch does not implement: they need their explicit handler.
  const { Job_GetAllLifetimeStatistics: _refusal, ...withoutRefusal } = table;
  // @ts-expect-error -- Job_GetAllLifetimeStatistics must be an explicit (501) handler.
  const withoutExplicitRefusal: HandlerTable = withoutRefusal;
  return incomplete ?? withoutExplicitRefusal;
}

/** A group of handlers may only name operations of the table. */
export function unknownOperation(handler: OperationHandler<"Pool_Get">) {
  return {
    Pool_Get: handler,
    // @ts-expect-error -- no operation is called Pool_Gett.
    Pool_Gett: handler,
  } satisfies Partial<HandlerTable>;
}

/** Path parameters are exactly the `{name}` segments of the operation's path, as strings. */
export const pathParameters = {
  Pool_Get: async ({ params }) => {
    const poolId: string = params.poolId;
    // @ts-expect-error -- names are case-sensitive: the path says {poolId}.
    void params.poolid;
    // @ts-expect-error -- /pools/{poolId} has no {jobId}.
    void params.jobId;
    return poolId === "" ? done : done;
  },
  Certificate_Get: async ({ params }) => {
    const both: [string, string] = [params.thumbprintAlgorithm, params.thumbprint];
    return both.length === 2 ? done : done;
  },
  File_GetFromTask: async ({ params }) => {
    const where: string[] = [params.jobId, params.taskId, params.filePath];
    // @ts-expect-error -- task files are not addressed by node.
    void params.nodeId;
    return where.length === 3 ? done : done;
  },
} satisfies Partial<HandlerTable>;

/** Query parameters are the operation's own, parsed as their declared types; none is required. */
export const queryParameters = {
  File_ListFromComputeNode: async ({ query }) => {
    const recursive: boolean | undefined = query.recursive;
    const maxResults: number | undefined = query.maxresults;
    const token: string | undefined = query.$skiptoken; // paged: it takes the continuation token
    // @ts-expect-error -- recursive is a boolean, not the string that was sent.
    const sent: string | undefined = query.recursive;
    // @ts-expect-error -- the file list takes no $select.
    void query.$select;
    return recursive === undefined || maxResults === undefined || token === undefined || sent === undefined ? done : done;
  },
  Pool_ListUsageMetrics: async ({ query }) => {
    const window: [Date | undefined, Date | undefined] = [query.starttime, query.endtime];
    return window.length === 2 ? done : done;
  },
  Pool_Get: async ({ query }) => {
    // @ts-expect-error -- a single pool is not paged: no continuation token.
    void query.$skiptoken;
    // @ts-expect-error -- a query parameter may be absent.
    const select: string = query.$select;
    return select === "" ? done : done;
  },
} satisfies Partial<HandlerTable>;

/** Bodies are the validated wire model; optional bodies may be undefined; operations without one get undefined. */
export const bodies = {
  Pool_Add: async ({ body }) => {
    const id: string = body.id;
    // @ts-expect-error -- PoolAddParameter has no such property.
    void body.poolName;
    return id === "" ? done : done;
  },
  Job_Terminate: async ({ body }) => {
    // @ts-expect-error -- the terminate body is optional.
    void body.terminateReason;
    return body?.terminateReason === undefined ? done : done;
  },
  Pool_Delete: async ({ body }) => {
    const none: undefined = body;
    return none === undefined ? done : done;
  },
  ComputeNode_Reboot: async ({ body }) => {
    // @ts-expect-error -- the enum is typed: "restart" is not a node reboot option.
    const option: NonNullable<typeof body>["nodeRebootOption"] = "restart";
    return option === undefined ? done : done;
  },
} satisfies Partial<HandlerTable>;

/** The operation table itself only names declared query parameters and wire models. */
export const badRows = [
  // @ts-expect-error -- "limit" is not a declared query parameter (queryParameters.ts).
  { operationId: "X_List", method: "GET", path: "/x", status: 200, conditions: "none", query: ["limit"], responseHeaders: "CR" },
  // @ts-expect-error -- "PoolAddParameters" is not a wire model.
  { operationId: "X_Add", method: "POST", path: "/x", status: 201, conditions: "none", query: [], responseHeaders: "CR", requestBody: "PoolAddParameters" },
] satisfies OperationSpec[];
