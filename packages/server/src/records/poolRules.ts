/** The rules a pool specification must pass (rest-api.md §4.1), for pools added directly and auto pools alike. Pure. */
import { assertValidId, limits, parseDuration, propertyDetails, serviceError } from "@openbatch/core";
import type { PoolAddParameter } from "@openbatch/protocol";

export function invalidProperty(property: string, reason: string) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${property}' is invalid. ${reason}`,
    values: propertyDetails(property, reason),
  });
}

/**
 * What the compute provider cannot honour (providers/poolCapabilities.ts) or the account may not ask for (a start
 * task's containerRunOptions), refused like a broken rule.
 */
export type PoolCapabilityCheck = (pool: PoolAddParameter, account: string) => void;

/** Cross-field rules the schema cannot state. */
export function checkPoolRules(pool: PoolAddParameter): void {
  assertValidId(pool.id, "id");
  if (pool.displayName !== undefined && pool.displayName.length > limits.displayNameMaxLength) {
    throw invalidProperty("displayName", `The display name may be at most ${limits.displayNameMaxLength} characters long.`);
  }
  const configurations = [pool.cloudServiceConfiguration, pool.virtualMachineConfiguration].filter((c) => c !== undefined);
  if (configurations.length !== 1) {
    throw serviceError(configurations.length === 0 ? "MissingRequiredProperty" : "InvalidPropertyValue", {
      message: "Exactly one of 'cloudServiceConfiguration' and 'virtualMachineConfiguration' must be specified.",
      values: propertyDetails("virtualMachineConfiguration", "Exactly one of cloudServiceConfiguration and virtualMachineConfiguration must be specified."),
    });
  }
  if (pool.enableAutoScale === true) {
    if (pool.autoScaleFormula === undefined) {
      throw serviceError("MissingRequiredProperty", {
        message: "The property 'autoScaleFormula' is required when 'enableAutoScale' is true.",
        values: propertyDetails("autoScaleFormula"),
      });
    }
    if (pool.targetDedicatedNodes !== undefined || pool.targetLowPriorityNodes !== undefined) {
      throw invalidProperty("targetDedicatedNodes", "Target node counts cannot be specified when 'enableAutoScale' is true.");
    }
  } else if (pool.autoScaleFormula !== undefined || pool.autoScaleEvaluationInterval !== undefined) {
    throw invalidProperty("autoScaleFormula", "An autoscale formula can only be specified when 'enableAutoScale' is true.");
  }
  // Neither target given without autoscale: both are 0, as the service reads such a pool back (issue #14 item 1).
  for (const name of ["targetDedicatedNodes", "targetLowPriorityNodes"] as const) {
    const value = pool[name];
    if (value !== undefined && value < 0) throw invalidProperty(name, "Target node counts cannot be negative.");
  }
  checkResizeTimeout(pool.resizeTimeout);
  if (pool.taskSlotsPerNode !== undefined && (pool.taskSlotsPerNode < 1 || pool.taskSlotsPerNode > limits.maxTaskSlotsPerNode)) {
    throw invalidProperty("taskSlotsPerNode", `taskSlotsPerNode must be between 1 and ${limits.maxTaskSlotsPerNode}.`);
  }
}

/** resizeTimeout: at least 5 minutes (semantics.md §6.1). */
export function checkResizeTimeout(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 5 * 60_000) throw invalidProperty("resizeTimeout", "resizeTimeout must be at least PT5M.");
  return value;
}
