/**
 * Applications registered with the server (the Application group lists them; application packages are
 * deployed from them). Stored per account as `application` entities: the wire ApplicationSummary plus the default
 * version and uploaded packages under `_ob` (records/applications.ts), which never leaves the server.
 *
 * Versions come from package uploads (the admin endpoint, `registerPackage`) or, without a package, from
 * `register` (tests of the Application group). Ids and versions are case-insensitive, kept as first given.
 */
import { applicationVersionProblem, assertValidId, formatTimestamp, idKey, serviceError } from "@openbatch/core";
import type { ApplicationSummary } from "@openbatch/protocol";
import type { Store, StoredEntity, WriteTx } from "@openbatch/store";
import type { ListOptions } from "../odata/listQuery.js";
import { applicationRef, applicationView, type ApplicationRecord } from "../records/applications.js";

export interface ApplicationRegistration {
  readonly applicationId: string;
  readonly version: string;
  readonly displayName?: string;
}

export interface PackageRegistration extends ApplicationRegistration {
  readonly sha256: string;
  readonly sizeInBytes: number;
}

/** What the admin endpoint answers: the summary plus the server-side facts users manage. */
export interface ApplicationDetails extends ApplicationSummary {
  readonly defaultVersion?: string;
  readonly packages: { version: string; sha256: string; sizeInBytes: number; uploadTime: string }[];
}

function applicationNotFound(applicationId: string) {
  return serviceError("ApplicationNotFound", {
    message: `The application '${applicationId}' does not exist.`,
    values: [{ key: "ApplicationId", value: applicationId }],
  });
}

function checkVersion(version: string, property = "version"): void {
  const problem = applicationVersionProblem(version);
  if (problem !== undefined) {
    throw serviceError("InvalidPropertyValue", { message: problem, values: [{ key: "PropertyName", value: property }] });
  }
}

export function applicationDetails(record: ApplicationRecord): ApplicationDetails {
  return {
    ...applicationView(record),
    ...(record._ob?.defaultVersion === undefined ? {} : { defaultVersion: record._ob.defaultVersion }),
    packages: Object.values(record._ob?.packages ?? {}).map((file) => ({ ...file })),
  };
}

export class ApplicationService {
  constructor(private readonly store: Store) {}

  async list(account: string, options: ListOptions): Promise<{ items: ApplicationSummary[]; nextKey?: string }> {
    const page = await this.store.read((tx) =>
      tx.list<ApplicationRecord>({ account, kind: "application", scope: "" }, { limit: options.maxResults, afterKey: options.afterKey }),
    );
    return { items: page.items.map((entity) => applicationView(entity.body)), ...(page.nextKey === undefined ? {} : { nextKey: page.nextKey }) };
  }

  async get(account: string, applicationId: string): Promise<StoredEntity<ApplicationSummary>> {
    const entity = await this.store.read((tx) => tx.get<ApplicationRecord>(applicationRef(account, applicationId)));
    if (entity === undefined) throw applicationNotFound(applicationId);
    return { ...entity, body: applicationView(entity.body) };
  }

  /** The application with its default version and packages (admin endpoint). */
  async details(account: string, applicationId: string): Promise<ApplicationDetails> {
    const entity = await this.store.read((tx) => tx.get<ApplicationRecord>(applicationRef(account, applicationId)));
    if (entity === undefined) throw applicationNotFound(applicationId);
    return applicationDetails(entity.body);
  }

  /** Adds an application, or a version to an existing one, without a package. Idempotent. */
  async register(account: string, registration: ApplicationRegistration, now: Date): Promise<ApplicationSummary> {
    return applicationView(await this.upsert(account, registration, now, (record) => record));
  }

  /**
   * Registers the uploaded zip (already stored by PackageFiles) as the package of `version`, adding the application
   * or version as needed. Uploading a version again replaces its package: nodes that already have the old content
   * keep it (its directory is named by its hash), new deployments get the new one.
   */
  async registerPackage(account: string, registration: PackageRegistration, now: Date): Promise<ApplicationDetails> {
    const uploadTime = formatTimestamp(now);
    const record = await this.upsert(account, registration, now, (current) => ({
      ...current,
      _ob: {
        ...current._ob,
        packages: {
          ...current._ob?.packages,
          [idKey(registration.version)]: {
            version: current.versions?.find((v) => idKey(v) === idKey(registration.version)) ?? registration.version,
            sha256: registration.sha256,
            sizeInBytes: registration.sizeInBytes,
            uploadTime,
          },
        },
      },
    }));
    return applicationDetails(record);
  }

  /** Sets (or, with `undefined`, clears) the version deployed by references that name no version. */
  async setDefaultVersion(account: string, applicationId: string, version: string | undefined, now: Date): Promise<ApplicationDetails> {
    if (version !== undefined) checkVersion(version, "defaultVersion");
    return this.store.write(async (tx) => {
      const ref = applicationRef(account, applicationId);
      const existing = await tx.get<ApplicationRecord>(ref);
      if (existing === undefined) throw applicationNotFound(applicationId);
      const { defaultVersion: _old, ...runtime } = existing.body._ob ?? {};
      let updated: ApplicationRecord = { ...existing.body, _ob: runtime };
      if (version !== undefined) {
        const known = existing.body.versions?.find((v) => idKey(v) === idKey(version));
        if (known === undefined) {
          throw serviceError("InvalidPropertyValue", {
            message: `The application '${applicationId}' has no version '${version}'; upload it before making it the default.`,
            values: [{ key: "PropertyName", value: "defaultVersion" }],
          });
        }
        updated = { ...updated, _ob: { ...runtime, defaultVersion: known } };
      }
      await tx.replace(ref, updated, now);
      return applicationDetails(updated);
    });
  }

  private upsert(
    account: string,
    registration: ApplicationRegistration,
    now: Date,
    change: (record: ApplicationRecord) => ApplicationRecord,
  ): Promise<ApplicationRecord> {
    assertValidId(registration.applicationId, "applicationId");
    checkVersion(registration.version);
    return this.store.write(async (tx: WriteTx) => {
      const ref = applicationRef(account, registration.applicationId);
      const existing = await tx.get<ApplicationRecord>(ref);
      if (existing === undefined) {
        const created = change({
          id: registration.applicationId,
          displayName: registration.displayName ?? registration.applicationId,
          versions: [registration.version],
        });
        await tx.insert(ref, created, now);
        return created;
      }
      const known = existing.body.versions ?? [];
      const versions = known.some((v) => idKey(v) === idKey(registration.version)) ? known : [...known, registration.version];
      const updated = change({ ...existing.body, versions, displayName: registration.displayName ?? existing.body.displayName });
      await tx.replace(ref, updated, now);
      return updated;
    });
  }
}
