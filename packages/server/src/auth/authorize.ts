/**
 * What a principal may do: an account key or Entra token anything in its account; a task token (taskTokens.ts)
 * only operations on its own job and that job's tasks and files — `/jobs/{jobId}/…` with its job id.
 */
import { serviceError } from "@openbatch/core";
import type { RouteMatch } from "../http/router.js";
import type { Principal } from "./taskTokens.js";

export function authorize(principal: Principal, route: RouteMatch): void {
  if (principal.jobId === undefined) return;
  const jobId = route.params["jobId"];
  if (route.operation.path.startsWith("/jobs/{jobId}") && jobId !== undefined && jobId.toLowerCase() === principal.jobId.toLowerCase()) return;
  throw serviceError("InsufficientAccountPermissions", {
    message: `This task authentication token allows operations on the job '${principal.jobId}' only.`,
    values: [{ key: "OperationId", value: route.operation.operationId }],
  });
}
