/**
 * Applications registered with the server (the Application group lists them; application packages are
 * deployed from them). Stored per account as `application` entities whose body is the wire ApplicationSummary.
 */
import { assertValidId, idKey, serviceError } from "@openbatch/core";
import type { ApplicationSummary } from "@openbatch/protocol";
import type { Store, StoredEntity } from "@openbatch/store";
import type { ListOptions } from "../odata/listQuery.js";

export interface ApplicationRegistration {
  readonly applicationId: string;
  readonly version: string;
  readonly displayName?: string;
}

export class ApplicationService {
  constructor(private readonly store: Store) {}

  async list(account: string, options: ListOptions): Promise<{ items: ApplicationSummary[]; nextKey?: string }> {
    const page = await this.store.read((tx) =>
      tx.list<ApplicationSummary>({ account, kind: "application", scope: "" }, { limit: options.maxResults, afterKey: options.afterKey }),
    );
    return { items: page.items.map((entity) => entity.body), ...(page.nextKey === undefined ? {} : { nextKey: page.nextKey }) };
  }

  async get(account: string, applicationId: string): Promise<StoredEntity<ApplicationSummary>> {
    const entity = await this.store.read((tx) => tx.get<ApplicationSummary>({ account, kind: "application", scope: "", id: applicationId }));
    if (entity === undefined) {
      throw serviceError("ApplicationNotFound", {
        message: `The application '${applicationId}' does not exist.`,
        values: [{ key: "ApplicationId", value: applicationId }],
      });
    }
    return entity;
  }

  /** Adds an application, or a version to an existing one. Idempotent for a version already registered. */
  async register(account: string, registration: ApplicationRegistration, now: Date): Promise<ApplicationSummary> {
    assertValidId(registration.applicationId, "applicationId");
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(registration.version)) {
      throw serviceError("InvalidPropertyValue", {
        message: "The application version may contain only letters, digits, '.', '-' and '_' (at most 64).",
        values: [{ key: "PropertyName", value: "version" }],
      });
    }
    return this.store.write(async (tx) => {
      const ref = { account, kind: "application" as const, scope: "", id: registration.applicationId };
      const existing = await tx.get<ApplicationSummary>(ref);
      if (existing === undefined) {
        const created: ApplicationSummary = {
          id: registration.applicationId,
          displayName: registration.displayName ?? registration.applicationId,
          versions: [registration.version],
        };
        await tx.insert(ref, created, now);
        return created;
      }
      const known = existing.body.versions ?? [];
      const versions = known.some((v) => idKey(v) === idKey(registration.version)) ? known : [...known, registration.version];
      const updated: ApplicationSummary = { ...existing.body, versions, displayName: registration.displayName ?? existing.body.displayName };
      await tx.replace(ref, updated, now);
      return updated;
    });
  }
}
