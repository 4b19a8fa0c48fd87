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
import { serviceError } from "@openbatch/core";
import type { CertificateAddParameter, CloudPool } from "@openbatch/protocol";
import { isStoreError, type ReadTx, type Store } from "@openbatch/store";
import { parseCertificate } from "../certificates/certificateData.js";
import { cancelledDeletion, deleteCertificate, insertCertificate } from "../lifecycle/certificates.js";
import type { ListOptions } from "../odata/listQuery.js";
import { certificateKey, type CertificateRecord, type StoredCertificate } from "../records/certificates.js";
import { certificateNotFound } from "../records/errors.js";
import { listAll } from "../records/listAll.js";

export { certificateView, type StoredCertificate } from "../records/certificates.js";

/** Ids of the account's pools whose `certificateReferences` name the certificate. */
async function poolsReferencing(tx: ReadTx, account: string, key: string): Promise<string[]> {
  const pools = await listAll<CloudPool>(tx, { account, kind: "pool", scope: "" });
  return pools.filter((pool) => (pool.body.certificateReferences ?? []).some((ref) => certificateKey(ref.thumbprintAlgorithm, ref.thumbprint) === key)).map((pool) => pool.body.id ?? pool.id);
}

export class CertificateService {
  constructor(private readonly store: Store) {}

  async add(account: string, request: CertificateAddParameter, url: (thumbprintAlgorithm: string, thumbprint: string) => string, now: Date): Promise<StoredCertificate> {
    const parsed = parseCertificate(request);
    const key = certificateKey(parsed.thumbprintAlgorithm, parsed.thumbprint);
    const record = {
      thumbprint: parsed.thumbprint,
      thumbprintAlgorithm: parsed.thumbprintAlgorithm,
      url: url(parsed.thumbprintAlgorithm, parsed.thumbprint),
      publicData: parsed.publicData,
      _ob: { data: request.data, format: parsed.format, ...(request.password === undefined ? {} : { password: request.password }) },
    };
    try {
      return await this.store.write((tx) => insertCertificate(tx, account, key, record, now));
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
      const current = await tx.get<CertificateRecord>({ account, kind: "certificate", scope: "", id: key });
      if (current === undefined) throw certificateNotFound(thumbprintAlgorithm, thumbprint);
      await deleteCertificate(tx, account, key, current.body, await poolsReferencing(tx, account, key), now);
    });
  }

  /** Cancel deletion (204): a `deletefailed` certificate is `active` again; `deleting` → 409 CertificateBeingDeleted, `active` → 409 CertificateStateActive. */
  async cancelDeletion(account: string, thumbprintAlgorithm: string, thumbprint: string, now: Date): Promise<StoredCertificate> {
    const key = certificateKey(thumbprintAlgorithm, thumbprint);
    return this.store.write(async (tx) => {
      const current = await tx.get<CertificateRecord>({ account, kind: "certificate", scope: "", id: key });
      if (current === undefined) throw certificateNotFound(thumbprintAlgorithm, thumbprint);
      if (current.body.state === "deleting") throw serviceError("CertificateBeingDeleted", { values: [{ key: "Thumbprint", value: thumbprint }] });
      if (current.body.state !== "deletefailed") {
        // The service's answer for a certificate whose deletion never failed (its own test suite asserts it).
        throw serviceError("CertificateStateActive", {
          message: `The deletion of certificate (${thumbprintAlgorithm}, ${thumbprint}) can be cancelled only when it is in the deletefailed state; it is ${current.body.state ?? "active"}.`,
          values: [{ key: "Thumbprint", value: thumbprint }],
        });
      }
      return cancelledDeletion(tx, account, key, current.body, now);
    });
  }
}
