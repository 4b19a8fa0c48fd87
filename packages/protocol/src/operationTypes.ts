/**
 * Types derived from the operation table, so code that serves or calls an operation is checked against the same
 * rows the router and the validator read: its path parameters (from the `{name}` segments of `path`), its query
 * parameters (from `query`, typed by queryParameters.ts) and its request body (the static type of the `requestBody`
 * wire model, `| undefined` when optional).
 */
import type { Static } from "@sinclair/typebox";
import type { WireModelName, WireModels } from "./models/index.js";
import type { extensionOperations, OperationId, operations } from "./operations.js";
import type { QueryParameterName, QueryParameterValue } from "./queryParameters.js";

type OperationRow = (typeof operations)[number] | (typeof extensionOperations)[number];

/** The operation table's row of an operation, with its literal types. */
export type OperationRowOf<Id extends OperationId> = Extract<OperationRow, { readonly operationId: Id }>;

/** `/pools/{poolId}/nodes/{nodeId}` → `"poolId" | "nodeId"`. */
export type PathParameterNamesOf<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParameterNamesOf<Rest>
  : never;

/** The decoded path parameters of an operation, by their names in the path template. */
export type PathParameters<Id extends OperationId> = {
  readonly [Name in PathParameterNamesOf<OperationRowOf<Id>["path"]>]: string;
};

type QueryParameterNamesOf<Row extends OperationRow> =
  | Row["query"][number]
  | (Row extends { readonly paged: true } ? "$skiptoken" : never);

/** The query parameters an operation takes, each parsed as its declared type; absent ones are undefined. */
export type QueryParameters<Id extends OperationId> = {
  readonly [Name in QueryParameterNamesOf<OperationRowOf<Id>> & QueryParameterName]?: QueryParameterValue<Name>;
};

/** The validated request body of an operation: its wire model's type, or undefined when it takes none. */
export type RequestBody<Id extends OperationId> =
  OperationRowOf<Id> extends { readonly requestBody: infer Name extends WireModelName }
    ? Static<WireModels[Name]> | (OperationRowOf<Id> extends { readonly requestBodyOptional: true } ? undefined : never)
    : undefined;
