/**
 * ComputeNode_UploadBatchServiceLogs (`POST {node}/uploadbatchservicelogs`) → 200 UploadBatchServiceLogsResult.
 *
 * Errors (Azure's node agent uploads after answering and documents none of these; OpenBatch uploads before
 * answering, so it reports them, as the same 400 a bad request body gets, naming the property):
 * - `identityReference` set → 400 InvalidPropertyValue naming `identityReference` (no managed identities here);
 * - `containerUrl` not an absolute http(s) URL, without a SAS (`sig`), or whose SAS `sp` lacks write (`w`) and
 *   create (`c`) → 400 InvalidPropertyValue naming `containerUrl`;
 * - `endTime` before `startTime` → 400 InvalidPropertyValue naming `endTime`;
 * - missing pool / node → 404 PoolNotFound / NodeNotFound;
 * - the container does not exist (storage 404), the SAS is refused (storage 401/403, e.g. expired or read-only),
 *   storage unreachable or any other storage 4xx → 400 InvalidPropertyValue naming `containerUrl`, the storage
 *   status and error code in `Reason` (the caller must fix the URL; retrying cannot help);
 * - storage 5xx after retries → 500 InternalError (retryable), the storage status and code in the message.
 * Messages name the container by origin and path only: the SAS never appears in a response or a log.
 */
import { parseTimestamp, propertyDetails, serviceError } from "@openbatch/core";
import type { HandlerTable } from "../http/context.js";
import { containerDisplayUrl, ServiceLogUploadError, type ServiceLogService } from "../services/serviceLogService.js";
import { checkIdentityReferenceFormat } from "../services/armIds.js";

function invalidProperty(name: string, reason: string, value?: string) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${name}' is invalid. ${reason}`,
    values: propertyDetails(name, reason, value),
  });
}

/** The container URL, checked for a SAS with write permission. */
function containerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidProperty("containerUrl", "The container URL is not an absolute URL.");
  }
  const shown = containerDisplayUrl(url);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw invalidProperty("containerUrl", "The container URL must be an http or https URL.", shown);
  if (url.pathname.split("/").filter((segment) => segment !== "").length === 0) {
    throw invalidProperty("containerUrl", "The container URL must name a container.", shown);
  }
  if (!url.searchParams.has("sig")) {
    throw invalidProperty("containerUrl", "The container URL must carry a SAS token granting write permission (managed identities are not supported).", shown);
  }
  const permissions = url.searchParams.get("sp");
  if (permissions !== null && !/[wc]/.test(permissions)) {
    throw invalidProperty("containerUrl", `The SAS grants '${permissions}' but uploading logs needs write ('w') or create ('c') permission.`, shown);
  }
  return url;
}

function dateProperty(name: string, value: string): Date {
  const time = parseTimestamp(value);
  if (time === undefined) throw invalidProperty(name, "Not an ISO-8601 date-time.", value);
  return time;
}

export function serviceLogHandlers(serviceLogs: ServiceLogService) {
  return {
    ComputeNode_UploadBatchServiceLogs: async ({ ctx, params, body: request }) => {
      if (request.identityReference !== undefined) {
        checkIdentityReferenceFormat(request.identityReference, "identityReference");
        throw invalidProperty("identityReference", "OpenBatch has no managed identities; give a containerUrl with a SAS granting write permission instead.");
      }
      const container = containerUrl(request.containerUrl);
      const startTime = dateProperty("startTime", request.startTime);
      const endTime = request.endTime === undefined ? undefined : dateProperty("endTime", request.endTime);
      if (endTime !== undefined && endTime.getTime() < startTime.getTime()) throw invalidProperty("endTime", "endTime must not be before startTime.", request.endTime);
      try {
        const result = await serviceLogs.upload(ctx.account, params.poolId, params.nodeId, { container, startTime, endTime }, ctx.now, ctx.signal);
        return { body: result };
      } catch (error) {
        if (!(error instanceof ServiceLogUploadError)) throw error;
        if (error.kind === "storageFailed") throw serviceError("InternalError", { message: error.message });
        if (error.kind === "aborted") throw serviceError("OperationTimedOut");
        throw invalidProperty("containerUrl", error.message, containerDisplayUrl(container));
      }
    },
  } satisfies Partial<HandlerTable>;
}
