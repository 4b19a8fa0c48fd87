/**
 * What the pipeline knows about a request once it has passed authentication, handed to every operation handler,
 * and the handler types, derived from the protocol's operation table so that each handler sees its operation's own
 * path parameters, query parameters and body.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ApiVersion, OperationId, OperationSpec, PathParameters, QueryParameters, RequestBody } from "@openbatch/protocol";

export interface RequestContext {
  readonly requestId: string;
  readonly account: string;
  readonly apiVersion: ApiVersion;
  /** `http://host:port` as the client addressed us; absolute URLs (nextLink, DataServiceId) start with it. */
  readonly baseUrl: string;
  /** The raw, percent-encoded request path. */
  readonly rawPath: string;
  /**
   * The query parameters as sent (decoded, first value of each name, in request order), for repeating them in an
   * `odata.nextLink`. Handlers read the typed `query` of their request instead.
   */
  readonly sentQuery: ReadonlyMap<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly operation: OperationSpec;
  /** The request's time, from the server's clock. */
  readonly now: Date;
  /** Aborted when the request's `timeout` elapses or the client goes away. */
  readonly signal: AbortSignal;
}

/** An entity's version, for ETag/Last-Modified headers and conditional requests. */
export interface EntityVersion {
  readonly eTag: string;
  readonly lastModified: Date;
}

export interface OperationRequest<Id extends OperationId> {
  readonly ctx: RequestContext;
  /** Decoded path parameters named as in the operation's path template. */
  readonly params: PathParameters<Id>;
  /** The operation's query parameters, parsed as their declared types (absent ones undefined). */
  readonly query: QueryParameters<Id>;
  /** The validated request body (undefined for operations without one, or an omitted optional body). */
  readonly body: RequestBody<Id>;
}

/** A raw (non-JSON) response body: file contents. */
export interface RawBody {
  readonly data: Buffer | NodeJS.ReadableStream;
  readonly headers: Readonly<Record<string, string>>;
}

export interface OperationResult {
  /** The JSON body; omitted for operations that return none. */
  readonly body?: unknown;
  /** The JSON body, encoded already (large lists built from the store's JSON without parsing it). */
  readonly json?: Buffer;
  readonly raw?: RawBody;
  /** Sets ETag and Last-Modified. */
  readonly version?: EntityVersion;
  /** Absolute URL of the created or changed resource (DataServiceId). */
  readonly dataServiceId?: string;
}

export type OperationHandler<Id extends OperationId> = (request: OperationRequest<Id>) => Promise<OperationResult>;

/**
 * One handler for every operation of the table, extensions included: a missing operation does not compile. Groups
 * of handlers are written `{ … } satisfies Partial<HandlerTable>`, which types each handler's request from its key
 * and refuses a key that is not an operation; the server spreads the groups into one `HandlerTable`.
 */
export type HandlerTable = { readonly [Id in OperationId]: OperationHandler<Id> };
