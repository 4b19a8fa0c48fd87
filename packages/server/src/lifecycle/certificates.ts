/**
 * Every change of a certificate's state (semantics.md §12; core's `certificateMachine`): added (`active`); delete
 * removes it at once when no pool references it, else it turns `deleting` and, in the same transaction,
 * `deletefailed` naming the pools; cancel deletion makes a `deletefailed` certificate `active` again.
 */
import { formatTimestamp, type ErrorDetail } from "@openbatch/core";
import type { WriteTx } from "@openbatch/store";
import { certificateInUseCode, type CertificateRecord, type StoredCertificate } from "../records/certificates.js";
import { certificateLifecycle, created, move } from "./transitions.js";

function certificateRef(account: string, key: string) {
  return { account, kind: "certificate" as const, scope: "", id: key };
}

/** Adds a certificate (`active`), stored under `key`; `conflict` from the store when it exists. */
export function insertCertificate(tx: WriteTx, account: string, key: string, fields: Omit<CertificateRecord, "state" | "stateTransitionTime">, now: Date): Promise<StoredCertificate> {
  const ref = certificateRef(account, key);
  created(tx, ref, certificateLifecycle, "active");
  return tx.insert<CertificateRecord>(ref, { ...fields, state: "active", stateTransitionTime: formatTimestamp(now) }, now);
}

/** Delete: gone at once when `referencingPools` is empty, else `deletefailed` (previous state `deleting`) naming them. */
export async function deleteCertificate(tx: WriteTx, account: string, key: string, current: CertificateRecord, referencingPools: readonly string[], now: Date): Promise<void> {
  const ref = certificateRef(account, key);
  if (referencingPools.length === 0) return tx.delete(ref);
  const time = formatTimestamp(now);
  const values: ErrorDetail[] = referencingPools.map((poolId) => ({ key: "PoolId", value: poolId }));
  const deleting = move(tx, ref, certificateLifecycle, current, "delete", "deleting", time);
  const failed = move(tx, ref, certificateLifecycle, deleting, "deleteFailed", "deletefailed", time);
  await tx.replace(ref, {
    ...failed,
    deleteCertificateError: {
      code: certificateInUseCode,
      message: `The certificate is in use by ${referencingPools.length === 1 ? "a pool" : `${referencingPools.length} pools`}; remove it from their certificateReferences first.`,
      values,
    },
  }, now);
}

/** Cancel deletion: a `deletefailed` certificate is `active` again, its deletion error gone. */
export function cancelledDeletion(tx: WriteTx, account: string, key: string, current: CertificateRecord, now: Date): Promise<StoredCertificate> {
  const { deleteCertificateError: _error, ...rest } = current;
  const ref = certificateRef(account, key);
  return tx.replace(ref, move(tx, ref, certificateLifecycle, rest as CertificateRecord, "cancelDeletion", "active", formatTimestamp(now)), now);
}
