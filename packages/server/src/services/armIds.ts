/**
 * ARM resource ids in requests (a pool's subnet, custom image, public IPs, service artifact; managed identities):
 * the forms the service accepts, and the account's subscription they must belong to. The service answers a
 * malformed id with 400 `InvalidPropertyValue` naming the id's own property (`subnetId`, `virtualMachineImageId`)
 * and a reason saying the format; an id of another subscription with the reason its recordings show. ARM ids
 * compare case-insensitively. Pure.
 */
import { propertyDetails, serviceError } from "@openbatch/core";

const segment = "[^/]+";

/** One accepted form, written as the service writes it in its reasons. */
export interface ArmForm {
  readonly template: string;
  readonly pattern: RegExp;
}

function form(providerPath: string): ArmForm {
  const template = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${providerPath}`;
  const source = template
    .split("/")
    .map((part) => (part.startsWith("{") ? segment : part.replace(/\./g, "\\.")))
    .join("/");
  return { template, pattern: new RegExp(`^${source}$`, "i") };
}

export const armForms = {
  subnet: [form("Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}")],
  image: [
    form("Microsoft.Compute/images/{imageName}"),
    form("Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}/versions/{galleryImageVersionName}"),
    form("Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}"),
  ],
  publicIPAddress: [form("Microsoft.Network/publicIPAddresses/{publicIPAddressName}")],
  userAssignedIdentity: [form("Microsoft.ManagedIdentity/userAssignedIdentities/{identityName}")],
  serviceArtifact: [form("Microsoft.Compute/galleries/{galleryName}/serviceArtifacts/{serviceArtifactName}/vmArtifactsProfiles/{vmArtifactsProfileName}")],
} as const satisfies Record<string, readonly ArmForm[]>;

/** What a check needs to know of the account. */
export interface ArmContext {
  /** The subscription the account's resources live in (the server option `subscriptionId`). */
  readonly subscriptionId: string;
}

/** 400 InvalidPropertyValue naming `name` (the property's own name, as the service does), its path in the message. */
export function invalidArmProperty(name: string, path: string, value: string, reason: string) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${path}' is invalid. ${reason}`,
    values: propertyDetails(name, reason, value),
  });
}

function formatReason(label: string, forms: readonly ArmForm[]): string {
  const templates = forms.map((candidate) => candidate.template);
  const listed = templates.length === 1 ? templates[0] : `${templates.slice(0, -1).join(", ")}, or ${templates.at(-1)}`;
  return `The specified ${label} must be of the format ${listed}`;
}

/** Checks that `value` is an ARM id of one of `forms`; `name` is the property named in the error, `path` where it is. */
export function checkArmFormat(value: string, forms: readonly ArmForm[], name: string, path: string, label = name): void {
  if (!forms.some((candidate) => candidate.pattern.test(value))) throw invalidArmProperty(name, path, value, formatReason(label, forms));
}

/** Checks that `value` is an ARM id of one of `forms` in the account's subscription. */
export function checkArmId(value: string, forms: readonly ArmForm[], name: string, path: string, context: ArmContext, label = name): void {
  checkArmFormat(value, forms, name, path, label);
  const subscription = value.split("/")[2] ?? "";
  if (subscription.toLowerCase() !== context.subscriptionId.toLowerCase()) {
    throw invalidArmProperty(
      name,
      path,
      value,
      `The specified ${name} is in a different subscription and cannot be used with the current Batch account in subscription ${context.subscriptionId}`,
    );
  }
}

/**
 * A managed identity reference: its `resourceId` must be a user-assigned identity's ARM id (the identity itself is
 * then refused by the caller: OpenBatch nodes have no managed identities).
 */
export function checkIdentityReferenceFormat(reference: { resourceId?: string | undefined } | undefined, path: string): void {
  if (reference?.resourceId === undefined) return;
  checkArmFormat(reference.resourceId, armForms.userAssignedIdentity, "resourceId", `${path}.resourceId`, "identity resource id");
}
