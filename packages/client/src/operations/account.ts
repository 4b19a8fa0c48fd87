/** Account group: the images pools can use and node counts per pool. */
import type { ImageInformation, PoolNodeCounts } from "../models.js";
import type { OperationContext } from "../operation.js";
import type { ListPoolNodeCountsOptions, ListSupportedImagesOptions } from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import { listResult, opts } from "./common.js";

export class AccountOperations {
  constructor(private readonly context: OperationContext) {}

  /** Lists the VM images the service supports, with their node agent SKUs (`GET /supportedimages`). */
  listSupportedImages(options?: ListSupportedImagesOptions): PagedAsyncIterableIterator<ImageInformation> {
    return listResult(this.context, "Account_ListSupportedImages", { options: opts(options) });
  }

  /** Node counts per pool and state (`GET /nodecounts`; `maxResults` 1–10). */
  listPoolNodeCounts(options?: ListPoolNodeCountsOptions): PagedAsyncIterableIterator<PoolNodeCounts> {
    return listResult(this.context, "Account_ListPoolNodeCounts", { options: opts(options) });
  }
}
