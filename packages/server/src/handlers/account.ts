/** Handlers of the Account group: parse wire → service → wire. */
import { limits } from "@openbatch/core";
import type { HandlerTable } from "../http/context.js";
import { listResult } from "../http/results.js";
import { parseListOptions } from "../odata/listQuery.js";
import type { AccountService } from "../services/accountService.js";

export function accountHandlers(accounts: AccountService) {
  return {
    Account_ListSupportedImages: async ({ ctx, query }) => {
      const page = accounts.listSupportedImages(parseListOptions(query, { filterTarget: "supportedImages" }));
      return listResult(ctx, "supportedimages", page.items, page.nextKey);
    },
    Account_ListPoolNodeCounts: async ({ ctx, query }) => {
      const options = parseListOptions(query, {
        filterTarget: "nodeCounts",
        maxResultsDefault: limits.nodeCountsMaxResultsDefault,
        maxResultsMax: limits.nodeCountsMaxResultsMax,
      });
      const page = await accounts.listPoolNodeCounts(ctx.account, options);
      return listResult(ctx, "poolnodecounts", page.items, page.nextKey);
    },
  } satisfies Partial<HandlerTable>;
}
