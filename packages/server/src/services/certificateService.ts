/**
 * Certificates (a deprecated API old code still calls; semantics.md §12, rest-api.md §4.5): add, get, list, delete,
 * cancel deletion. Each is stored under `<algorithm>-<thumbprint>` with its data, format and password kept under
 * `_ob` (never on the wire) so that nodes of pools that reference it can be given its files.
 *
 * States (`state`):
 * - `active` (add; cancel deletion of a `deletefailed` certificate);
 * - `deleting`: delete checks, in the same transaction, whether a pool still references the certificate. When none
 *   does the certificate is removed at once (so `deleting` is never seen); otherwise
 * - `deletefailed` (previous state `deleting`), with `deleteCertificateError` naming the pools. Delete may be tried
 *   again, or cancel deletion makes it `active`.
 */
import { formatTimestamp, serviceError, type ErrorDetail } from "@openbatch/core";
import type { Certificate, CertificateAddParameter, CertificateState, CloudPool } from "@openbatch/protocol";
import { isStoreError, type ReadTx, type Store, type StoredEntity } from "@openbatch/store";
import { parseCertificate } from "../certificates/certificateData.js";
import type { ListOptions } from "../odata/listQuery.js";

/** What nodes need to place the certificate's files. */
export interface CertificateContent {
  readonly data: string;
  readonly format: "pfx" | "cer";
  readonly password?: string;
}

export type CertificateRecord = Certificate & { _ob: CertificateContent };
export type StoredCertificate = StoredEntity<CertificateRecord>;

/** `deleteCertificateError.code` when pools still reference the certificate. */
export const certificateInUseCode = "CertificateInUse";

export function certificateKey(thumbprintAlgorithm: string, thumbprint: string): string {
  return `${thumbprintAlgorithm.toLowerCase()}-${thumbprint.replace(/ /g, "").toLowerCase()}`;
}

function certificateNotFound(thumbprintAlgorithm: string, thumbprint: string) {
  return serviceError("CertificateNotFound", {
    message: `The specified certificate (${thumbprintAlgorithm}, ${thumbprint}) does not exist.`,
    values: [
      { key: "ThumbprintAlgorithm", value: thumbprintAlgorithm },
      { key: "Thumbprint", value: thumbprint },
    ],
  });
}

export function certificateView(record: CertificateRecord): Certificate {
  const { _ob: _content, ...view } = record;
  return view;
}

function transition(record: CertificateRecord, state: CertificateState, time: string): CertificateRecord {
  return { ...record, previousState: record.state, previousStateTransitionTime: record.stateTransitionTime, state, stateTransitionTime: time };
}

/** Ids of the account's pools whose `certificateReferences` name the certificate. */
async function poolsReferencing(tx: ReadTx, account: string, key: string): Promise<string[]> {
  const pools: string[] = [];
  let afterKey: string | undefined;
  do {
    const page = await tx.list<CloudPool>({ account, kind: "pool", scope: "" }, { limit: 1000, afterKey });
    for (const pool of page.items) {
      if ((pool.body.certificateReferences ?? []).some((ref) => certificateKey(ref.thumbprintAlgorithm, ref.thumbprint) === key)) pools.push(pool.body.id ?? pool.id);
    }
    afterKey = page.nextKey;
  } while (afterKey !== undefined);
  return pools;
}

export class CertificateService {
  constructor(private readonly store: Store) {}

  async add(account: string, request: CertificateAddParameter, url: (thumbprintAlgorithm: string, thumbprint: string) => string, now: Date): Promise<StoredCertificate> {
    const parsed = parseCertificate(request);
    const time = formatTimestamp(now);
    const key = certificateKey(parsed.thumbprintAlgorithm, parsed.thumbprint);
    const record: CertificateRecord = {
      thumbprint: parsed.thumbprint,
      thumbprintAlgorithm: parsed.thumbprintAlgorithm,
      url: url(parsed.thumbprintAlgorithm, parsed.thumbprint),
      state: "active",
      stateTransitionTime: time,
      publicData: parsed.publicData,
      _ob: { data: request.data, format: parsed.format, ...(request.password === undefined ? {} : { password: request.password }) },
    };
    try {
      return await this.store.write((tx) => tx.insert({ account, kind: "certificate", scope: "", id: key }, record, now));
    } catch (error) {
      if (isStoreError(error, "conflict")) {
        throw serviceError("CertificateExists", {
          message: `The certificate (sha1, ${parsed.thumbprint}) already exists.`,
          values: [{ key: "Thumbprint", value: parsed.thumbprint }],
        });
      }
      throw error;
    }
  }

  /** The certificate, or 404 CertificateNotFound. */
  async get(account: string, thumbprintAlgorithm: string, thumbprint: string): Promise<StoredCertificate> {
    const key = certificateKey(thumbprintAlgorithm, thumbprint);
    const found = await this.store.read((tx) => tx.get<CertificateRecord>({ account, kind: "certificate", scope: "", id: key }));
    if (found === undefined) throw certificateNotFound(thumbprintAlgorithm, thumbprint);
    return found;
  }

  list(account: string, options: ListOptions): Promise<{ items: StoredCertificate[]; nextKey?: string }> {
    return this.store.read((tx) =>
      tx.list<CertificateRecord>({ account, kind: "certificate", scope: "" }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  /** Delete (202): removed at once when no pool references it, else `deletefailed` naming the pools. */
  async delete(account: string, thumbprintAlgorithm: string, thumbprint: string, now: Date): Promise<void> {
    const key = certificateKey(thumbprintAlgorithm, thumbprint);
    await this.store.write(async (tx) => {
      const ref = { account, kind: "certificate" as const, scope: "", id: key };
      const current = await tx.get<CertificateRecord>(ref);
      if (current === undefined) throw certificateNotFound(thumbprintAlgorithm, thumbprint);
      const pools = await poolsReferencing(tx, account, key);
      if (pools.length === 0) {
        await tx.delete(ref);
        return;
      }
      const time = formatTimestamp(now);
      const values: ErrorDetail[] = pools.map((poolId) => ({ key: "PoolId", value: poolId }));
      const failed = transition(transition(current.body, "deleting", time), "deletefailed", time);
      await tx.replace(ref, {
        ...failed,
        deleteCertificateError: {
          code: certificateInUseCode,
          message: `The certificate is in use by ${pools.length === 1 ? "a pool" : `${pools.length} pools`}; remove it from their certificateReferences first.`,
          values,
        },
      }, now);
    });
  }

  /** Cancel deletion (204): a `deletefailed` certificate is `active` again; any other state → 409. */
  async cancelDeletion(account: string, thumbprintAlgorithm: string, thumbprint: string, now: Date): Promise<StoredCertificate> {
    const key = certificateKey(thumbprintAlgorithm, thumbprint);
    return this.store.write(async (tx) => {
      const ref = { account, kind: "certificate" as const, scope: "", id: key };
      const current = await tx.get<CertificateRecord>(ref);
      if (current === undefined) throw certificateNotFound(thumbprintAlgorithm, thumbprint);
      if (current.body.state === "deleting") throw serviceError("CertificateBeingDeleted", { values: [{ key: "Thumbprint", value: thumbprint }] });
      if (current.body.state !== "deletefailed") {
        throw serviceError("OperationInvalidForCurrentState", {
          message: `The deletion of certificate (${thumbprintAlgorithm}, ${thumbprint}) can be cancelled only when it is in the deletefailed state.`,
          values: [{ key: "CertificateState", value: current.body.state ?? "active" }],
        });
      }
      const { deleteCertificateError: _error, ...rest } = current.body;
      return tx.replace(ref, transition(rest as CertificateRecord, "active", formatTimestamp(now)), now);
    });
  }
}
