/**
 * Rules on what a pool or a job asks its processes to be, checked when it is added so that a specification that
 * can never work is a 400 naming the property rather than a failure found later on a node (docs/security.md):
 *
 * - `userIdentity` (start, job manager, preparation, release and ordinary tasks) names a user xor an auto-user
 *   (semantics.md §2.8), not both;
 * - pool `userAccounts`: non-empty names of at most 20 characters (the service's limit), each once (names are
 *   compared case-insensitively, as on Windows and Azure's Linux nodes), a non-empty password, and on Linux `uid`
 *   and `gid` both or neither;
 * - containers are checked by containerRules.ts;
 * - `imageReference` must be a marketplace image (publisher, offer and sku) or a `virtualMachineImageId`, one of
 *   the two (rest-api.md: ImageReference).
 */
import { propertyDetails, serviceError } from "@openbatch/core";
import type { ImageReference, JobSpecification, PoolAddParameter, UserAccount, UserIdentity } from "@openbatch/protocol";

function invalid(property: string, reason: string, value?: unknown) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${property}' is invalid. ${reason}`,
    values: propertyDetails(property, reason, value),
  });
}

function missing(property: string, reason: string) {
  return serviceError("MissingRequiredProperty", {
    message: `The property '${property}' is required but was not specified in the request body. ${reason}`,
    values: propertyDetails(property, reason),
  });
}

/** Azure's limit on a user account's name (UserAccount.name). */
export const userAccountNameMaxLength = 20;

export function checkUserIdentity(identity: UserIdentity | undefined, property: string): void {
  if (identity === undefined) return;
  if (identity.username !== undefined && identity.autoUser !== undefined) {
    throw invalid(property, "Specify either userName or autoUser, not both.");
  }
  if (identity.username !== undefined && identity.username === "") throw invalid(`${property}.username`, "The user name must not be empty.");
}

export function checkUserAccounts(accounts: readonly UserAccount[] | undefined): void {
  const seen = new Set<string>();
  for (const [index, account] of (accounts ?? []).entries()) {
    const property = `userAccounts[${index}]`;
    if (account.name === "" || account.name.length > userAccountNameMaxLength) {
      throw invalid(`${property}.name`, `A user account name has 1 to ${userAccountNameMaxLength} characters.`, account.name);
    }
    const key = account.name.toLowerCase();
    if (seen.has(key)) throw invalid(`${property}.name`, `The pool already has a user account named '${account.name}'.`, account.name);
    seen.add(key);
    if (account.password === "") throw invalid(`${property}.password`, "The password must not be empty.");
    const linux = account.linuxUserConfiguration;
    if (linux !== undefined && (linux.uid === undefined) !== (linux.gid === undefined)) {
      throw invalid(`${property}.linuxUserConfiguration`, "uid and gid must be specified together or not at all.");
    }
  }
}

export function checkImageReference(image: ImageReference | undefined, property: string): void {
  if (image === undefined) return;
  const marketplace = (["publisher", "offer", "sku"] as const).filter((field) => image[field] !== undefined);
  if (image.virtualMachineImageId !== undefined) {
    if (marketplace.length > 0 || image.version !== undefined) {
      throw invalid(property, "Specify either a marketplace image (publisher, offer, sku, version) or a virtualMachineImageId, not both.");
    }
    if (image.virtualMachineImageId === "") throw invalid(`${property}.virtualMachineImageId`, "The image id must not be empty.");
    return;
  }
  if (marketplace.length === 0) {
    throw invalid(property, "The image reference names neither a marketplace image (publisher, offer and sku) nor a virtualMachineImageId.", image);
  }
  for (const field of ["publisher", "offer", "sku"] as const) {
    if (image[field] === undefined || image[field] === "") throw missing(`${property}.${field}`, "A marketplace image needs publisher, offer and sku.");
  }
}

/** The rules of a pool (or an auto pool's specification) that concern what its nodes run. */
export function checkPoolSpec(pool: PoolAddParameter): void {
  checkImageReference(pool.virtualMachineConfiguration?.imageReference, "virtualMachineConfiguration.imageReference");
  checkUserAccounts(pool.userAccounts);
  checkUserIdentity(pool.startTask?.userIdentity, "startTask.userIdentity");
}

/** The rules of a job's manager, preparation and release tasks that concern what they run. */
export function checkJobTaskSpecs(job: JobSpecification): void {
  checkUserIdentity(job.jobManagerTask?.userIdentity, "jobManagerTask.userIdentity");
  checkUserIdentity(job.jobPreparationTask?.userIdentity, "jobPreparationTask.userIdentity");
  checkUserIdentity(job.jobReleaseTask?.userIdentity, "jobReleaseTask.userIdentity");
}
