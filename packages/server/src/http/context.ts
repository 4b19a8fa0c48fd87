/**
 * What the pipeline knows about a request once it has passed authentication, handed to every operation handler.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ApiVersion, OperationSpec } from "@openbatch/protocol";

export interface RequestContext {
  readonly requestId: string;
  readonly account: string;
  readonly apiVersion: ApiVersion;
  /** `http://host:port` as the client addressed us; absolute URLs (nextLink, DataServiceId) start with it. */
  readonly baseUrl: string;
  /** The raw, percent-encoded request path. */
  readonly rawPath: string;
  /** Decoded query parameters (first value of each name), in request order. */
  readonly query: ReadonlyMap<string, string>;
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

export interface OperationRequest<TBody = unknown> {
  readonly ctx: RequestContext;
  /** Decoded path parameters named as in the operation's path template. */
  readonly params: Readonly<Record<string, string>>;
  /** The validated request body (undefined for operations without one, or an omitted optional body). */
  readonly body: TBody;
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

export type OperationHandler = (request: OperationRequest) => Promise<OperationResult>;
