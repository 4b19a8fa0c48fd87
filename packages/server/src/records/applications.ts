/**
 * Application rows and how references to their packages resolve.
 *
 * An application is one `application` entity per account whose body is the wire ApplicationSummary plus, under
 * `_ob` (never sent: `applicationView` strips it), the default version and the uploaded package of each version
 * (its zip's SHA-256 and size; the zip itself is in PackageFiles). A version registered without a package (the
 * programmatic `register`, used by tests of the Application group) is listed but cannot be deployed.
 *
 * Resolution (`resolvePackageReferences`), the service's rules: a reference names an application (ids are
 * case-insensitive) and optionally a version; without a version the application's default version is meant.
 * A reference resolves when the application exists, the version (named or default) exists and has a package.
 * Everything else is a problem, reported per reference: pool add/patch/update refuse them with 409
 * `InvalidApplicationPackageReferences`; a task's are a pre-processing failure of its run (`ApplicationPackageError`).
 */
import { idKey, propertyDetails, serviceError } from "@openbatch/core";
import type { ApplicationPackageDeployment, ApplicationPackageReference, ApplicationSummary, CloudPool } from "@openbatch/protocol";
import type { ReadTx } from "@openbatch/store";

export interface ApplicationPackageFile {
  readonly version: string;
  readonly sha256: string;
  readonly sizeInBytes: number;
  readonly uploadTime: string;
}

export interface ApplicationRuntime {
  defaultVersion?: string;
  /** Uploaded packages by version key (`idKey(version)`). */
  packages?: Record<string, ApplicationPackageFile>;
}

export type ApplicationRecord = ApplicationSummary & { _ob?: ApplicationRuntime };

export function applicationView(record: ApplicationRecord): ApplicationSummary {
  const { _ob: _runtime, ...view } = record;
  return view;
}

export function applicationRef(account: string, applicationId: string) {
  return { account, kind: "application" as const, scope: "", id: applicationId };
}

export interface ReferenceProblem {
  readonly applicationId: string;
  readonly version?: string;
  readonly reason: string;
}

export interface ResolvedReferences {
  readonly deployments: ApplicationPackageDeployment[];
  readonly problems: ReferenceProblem[];
}

/** Resolves references against the account's applications (reads only). */
export async function resolvePackageReferences(
  tx: ReadTx,
  account: string,
  references: readonly ApplicationPackageReference[] | undefined,
): Promise<ResolvedReferences> {
  const deployments: ApplicationPackageDeployment[] = [];
  const problems: ReferenceProblem[] = [];
  for (const reference of references ?? []) {
    const { applicationId, version } = reference;
    const named = version === undefined ? {} : { version };
    const application = (await tx.get<ApplicationRecord>(applicationRef(account, applicationId)))?.body;
    if (application === undefined) {
      problems.push({ applicationId, ...named, reason: `The application '${applicationId}' does not exist.` });
      continue;
    }
    const wanted = version ?? application._ob?.defaultVersion;
    if (wanted === undefined) {
      problems.push({ applicationId, reason: `No version was specified and the application '${applicationId}' has no default version.` });
      continue;
    }
    const file = application._ob?.packages?.[idKey(wanted)];
    if (file === undefined) {
      problems.push({ applicationId, version: wanted, reason: `The application '${applicationId}' has no package for version '${wanted}'.` });
      continue;
    }
    deployments.push({
      applicationId: application.id ?? applicationId,
      version: file.version,
      sha256: file.sha256,
      sizeInBytes: file.sizeInBytes,
      referencedWithoutVersion: version === undefined,
    });
  }
  return { deployments, problems };
}

/** One line naming every problem, for a task's failure message. */
export function describeProblems(problems: readonly ReferenceProblem[]): string {
  return problems.map((problem) => problem.reason).join(" ");
}

/** A pool references at most this many packages (semantics.md §12.1). */
export const maxPoolPackageReferences = 10;

/**
 * A pool's references: throws 400 InvalidPropertyValue past `maxPoolPackageReferences`, and 409
 * InvalidApplicationPackageReferences (one detail per unsatisfiable reference, keyed by application id) unless
 * every reference resolves.
 */
export async function assertPackageReferencesResolve(
  tx: ReadTx,
  account: string,
  references: readonly ApplicationPackageReference[] | undefined,
): Promise<void> {
  if ((references?.length ?? 0) > maxPoolPackageReferences) {
    const reason = `A pool may reference at most ${maxPoolPackageReferences} application packages.`;
    throw serviceError("InvalidPropertyValue", {
      message: `The value provided for the property 'applicationPackageReferences' is invalid. ${reason}`,
      values: propertyDetails("applicationPackageReferences", reason),
    });
  }
  const { problems } = await resolvePackageReferences(tx, account, references);
  if (problems.length === 0) return;
  throw serviceError("InvalidApplicationPackageReferences", {
    message: `One or more of the specified application package references are invalid. ${describeProblems(problems)}`,
    values: problems.map((problem) => ({ key: problem.applicationId, value: problem.reason })),
  });
}

/**
 * What a node of the pool installs (reboot and reimage pick up the pool's current references, semantics.md §6.1).
 * References that no longer resolve are left out: they were checked when the pool got them.
 */
export async function poolPackageDeployments(tx: ReadTx, account: string, poolId: string): Promise<ApplicationPackageDeployment[]> {
  const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
  return (await resolvePackageReferences(tx, account, pool?.body.applicationPackageReferences)).deployments;
}
