/** The "does not exist" errors of the resources, once each (404 with the id named as the service names it). */
import { serviceError } from "@openbatch/core";

export function poolNotFound(poolId: string) {
  return serviceError("PoolNotFound", { message: `The specified pool '${poolId}' does not exist.`, values: [{ key: "PoolId", value: poolId }] });
}

export function nodeNotFound(nodeId: string) {
  return serviceError("NodeNotFound", { message: `The specified node '${nodeId}' does not exist.`, values: [{ key: "NodeId", value: nodeId }] });
}

export function jobNotFound(jobId: string) {
  return serviceError("JobNotFound", { message: `The specified job '${jobId}' does not exist.`, values: [{ key: "JobId", value: jobId }] });
}

export function taskNotFound(taskId: string) {
  return serviceError("TaskNotFound", { message: `The specified task '${taskId}' does not exist.`, values: [{ key: "TaskId", value: taskId }] });
}

export function scheduleNotFound(scheduleId: string) {
  return serviceError("JobScheduleNotFound", {
    message: `The specified job schedule '${scheduleId}' does not exist.`,
    values: [{ key: "JobScheduleId", value: scheduleId }],
  });
}

export function certificateNotFound(thumbprintAlgorithm: string, thumbprint: string) {
  return serviceError("CertificateNotFound", {
    message: `The specified certificate (${thumbprintAlgorithm}, ${thumbprint}) does not exist.`,
    values: [
      { key: "ThumbprintAlgorithm", value: thumbprintAlgorithm },
      { key: "Thumbprint", value: thumbprint },
    ],
  });
}
