/**
 * Turning blob-storage and HTTP failures into the Batch failure codes a task reports (semantics.md §2.4, §10), and
 * the storage client options the agent uses for both directions. URLs may carry a SAS: messages name only a URL's
 * origin and path, never its query.
 *
 * The storage SDK itself is loaded on first use (`blobStorage`): it is a quarter of an idle agent's memory (about
 * 25 MB of code and heap), and most nodes never touch a container — an agent hosting hundreds of nodes with start
 * tasks only must not pay for it.
 */
import type { RestError, StoragePipelineOptions } from "@azure/storage-blob";

type BlobStorage = typeof import("@azure/storage-blob");
let loading: Promise<BlobStorage> | undefined;

/** `@azure/storage-blob`, imported once, when a resource or output file first needs a container. */
export function blobStorage(): Promise<BlobStorage> {
  loading ??= import("@azure/storage-blob");
  return loading;
}

/** A storage service's error answer (the SDK's RestError), told without loading the SDK. */
function isRestError(error: unknown): error is RestError {
  return error instanceof Error && error.name === "RestError";
}

/** The URL without its query (a SAS), for messages and logs. */
export function displayUrl(url: string | URL): string {
  try {
    const parsed = typeof url === "string" ? new URL(url) : url;
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

/** Transient storage errors are retried inside one download or upload; a task is never retried for them. */
export const storageClientOptions: StoragePipelineOptions = {
  retryOptions: { maxTries: 3, retryDelayInMs: 250, maxRetryDelayInMs: 2_000 },
};

export type StorageFailureKind = "notFound" | "accessDenied" | "other";

export interface StorageFailure {
  readonly kind: StorageFailureKind;
  /** What storage said (status and error code), or the network error's message. */
  readonly reason: string;
}

export function classifyStorageError(error: unknown): StorageFailure {
  if (isRestError(error)) {
    const status = error.statusCode;
    const storageCode = error.code ?? (error.details as { errorCode?: string } | undefined)?.errorCode;
    const reason = status === undefined ? error.message : `HTTP ${status}${storageCode === undefined ? "" : ` ${storageCode}`}`;
    if (status === 404) return { kind: "notFound", reason };
    if (status === 401 || status === 403) return { kind: "accessDenied", reason };
    return { kind: "other", reason };
  }
  return { kind: "other", reason: (error as Error).message };
}
