import { serviceError, type ServiceError } from "@openbatch/core";
import { isStoreError } from "@openbatch/store";

/**
 * Runs a store write on the client's behalf, translating the store's refusals into Batch errors: a failed ETag
 * precondition (the entity changed since the caller's conditions were checked) is 412 ConditionNotMet, and — when
 * `notFound` is given — an entity gone meanwhile is that error.
 */
export async function clientWrite<R>(work: () => Promise<R>, notFound?: () => ServiceError): Promise<R> {
  try {
    return await work();
  } catch (error) {
    if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
    if (notFound !== undefined && isStoreError(error, "notFound")) throw notFound();
    throw error;
  }
}
