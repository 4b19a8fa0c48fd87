/** Handlers of the Certificate group: parse wire → service → wire. No business rules here. */
import type { HandlerTable, RequestContext } from "../http/context.js";
import { entityResult, listResult } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { certificateView, type CertificateService } from "../services/certificateService.js";

function certificateUrl(ctx: RequestContext, thumbprintAlgorithm: string, thumbprint: string): string {
  return `${ctx.baseUrl}/certificates(thumbprintAlgorithm=${encodeURIComponent(thumbprintAlgorithm)},thumbprint=${encodeURIComponent(thumbprint)})`;
}

export function certificateHandlers(certificates: CertificateService) {
  return {
    Certificate_Add: async ({ ctx, body }) => {
      const added = await certificates.add(ctx.account, body, (algorithm, thumbprint) => certificateUrl(ctx, algorithm, thumbprint), ctx.now);
      return { version: added, dataServiceId: added.body.url ?? "" };
    },
    Certificate_Get: async ({ ctx, params, query }) => {
      const certificate = await certificates.get(ctx.account, params.thumbprintAlgorithm, params.thumbprint);
      const options = parseListOptions(query, {});
      return entityResult(ctx, "certificates", project(certificateView(certificate.body), options.select), certificate);
    },
    Certificate_List: async ({ ctx, query }) => {
      const options = parseListOptions(query, { filterTarget: "certificates" });
      const page = await certificates.list(ctx.account, options);
      return listResult(ctx, "certificates", page.items.map((item) => project(certificateView(item.body), options.select)), page.nextKey);
    },
    Certificate_Delete: async ({ ctx, params }) => {
      await certificates.delete(ctx.account, params.thumbprintAlgorithm, params.thumbprint, ctx.now);
      return {};
    },
    Certificate_CancelDeletion: async ({ ctx, params }) => {
      const certificate = await certificates.cancelDeletion(ctx.account, params.thumbprintAlgorithm, params.thumbprint, ctx.now);
      return { version: certificate, dataServiceId: certificate.body.url ?? "" };
    },
  } satisfies Partial<HandlerTable>;
}
