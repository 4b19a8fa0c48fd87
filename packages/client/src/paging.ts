/**
 * Paged lists, shaped like `@azure/core-paging`: an async iterator of items that also has `byPage()`. Pages are
 * fetched lazily, one request per page; the next page is `odata.nextLink` requested verbatim (it carries the
 * api-version, every original query option and the continuation token), and the continuation token handed out is
 * that link.
 */
import type { BatchResponseInfo } from "./responses.js";
import { attachResponse } from "./responses.js";
import type { OperationResponse } from "./operation.js";

export interface PageSettings {
  /** Page size for the first request (`maxresults`; later pages keep it through the link). */
  maxPageSize?: number;
  /** Resume from a page's `continuationToken` (an `odata.nextLink`). */
  continuationToken?: string;
}

/** One page: the items, the token of the next page (absent on the last) and the response. */
export type BatchPage<T> = T[] & { readonly continuationToken?: string; readonly _response: BatchResponseInfo };

export interface PagedAsyncIterableIterator<T, PageT = BatchPage<T>, Settings = PageSettings> {
  next(): Promise<IteratorResult<T>>;
  [Symbol.asyncIterator](): PagedAsyncIterableIterator<T, PageT, Settings>;
  /** Iterates page by page. */
  byPage(settings?: Settings): AsyncIterableIterator<PageT>;
}

/** Fetches one page: the first (no link) or the one at `nextLink`. */
export type PageFetcher = (request: { nextLink?: string; maxPageSize?: number }) => Promise<OperationResponse>;

function toPage<T>(response: OperationResponse): BatchPage<T> {
  const body = (response.body ?? {}) as { value?: unknown; "odata.nextLink"?: unknown };
  const items = Array.isArray(body.value) ? ([...body.value] as T[]) : [];
  const link = body["odata.nextLink"];
  if (typeof link === "string" && link !== "") {
    Object.defineProperty(items, "continuationToken", { value: link, enumerable: false });
  }
  return attachResponse(items, response.info) as BatchPage<T>;
}

export function createPagedIterator<T>(fetchPage: PageFetcher): PagedAsyncIterableIterator<T> {
  async function* pages(settings: PageSettings = {}): AsyncGenerator<BatchPage<T>> {
    let nextLink = settings.continuationToken;
    let first = true;
    while (first || nextLink !== undefined) {
      const request: { nextLink?: string; maxPageSize?: number } = {};
      if (nextLink !== undefined) request.nextLink = nextLink;
      else if (settings.maxPageSize !== undefined) request.maxPageSize = settings.maxPageSize;
      const page = toPage<T>(await fetchPage(request));
      first = false;
      nextLink = page.continuationToken;
      yield page;
    }
  }
  async function* items(): AsyncGenerator<T> {
    for await (const page of pages()) yield* page;
  }
  const iterator = items();
  const paged: PagedAsyncIterableIterator<T> = {
    next: () => iterator.next(),
    [Symbol.asyncIterator]: () => paged,
    byPage: (settings?: PageSettings) => pages(settings),
  };
  return paged;
}

/** Collects every item of a paged list (convenience for small lists). */
export async function toArray<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of iterable) result.push(item);
  return result;
}
