/**
 * Turns a stored entity into its wire form: the stored body plus the version fields the store owns
 * (`eTag`, `lastModified`), keeping the service's key order (entity fields first, as the real service does).
 */
import { formatTimestamp } from "@openbatch/core";
import type { StoredEntity } from "@openbatch/store";

export function withVersion<T extends object>(entity: StoredEntity<T>): T & { eTag: string; lastModified: string } {
  return { ...entity.body, eTag: entity.eTag, lastModified: formatTimestamp(entity.lastModified) };
}
