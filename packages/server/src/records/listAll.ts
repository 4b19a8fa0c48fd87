import type { Predicate } from "@openbatch/core";
import type { CollectionRef, ReadTx, StoredEntity } from "@openbatch/store";

/**
 * Every entity of a collection (matching `filter`), read page by page: the one way to say "all rows" — a single
 * `list` with a large limit would silently stop at that limit. `cap` stops early, for callers that want at most so
 * many.
 */
export async function listAll<T>(tx: ReadTx, collection: CollectionRef, filter?: Predicate, cap = Infinity): Promise<StoredEntity<T>[]> {
  const items: StoredEntity<T>[] = [];
  let afterKey: string | undefined;
  do {
    const page = await tx.list<T>(collection, { limit: Math.min(1000, cap - items.length), afterKey, filter });
    items.push(...page.items);
    afterKey = page.nextKey;
  } while (afterKey !== undefined && items.length < cap);
  return items;
}
