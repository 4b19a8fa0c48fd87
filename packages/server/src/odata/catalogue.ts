/**
 * Lists over fixed, in-process catalogues (supported images) with the same filter semantics and keyset paging as
 * store-backed lists. A catalogue is code, not a table, so the predicate is evaluated here rather than in SQL.
 */
import { matchesPredicate } from "@openbatch/core";
import type { ListOptions } from "./listQuery.js";

export interface Keyed<T> {
  readonly key: string;
  readonly item: T;
}

/** `entries` must be sorted by key. */
export function pageCatalogue<T>(entries: readonly Keyed<T>[], options: ListOptions): { items: T[]; nextKey?: string } {
  const page: Keyed<T>[] = [];
  for (const entry of entries) {
    if (options.afterKey !== undefined && entry.key <= options.afterKey) continue;
    if (options.filter !== undefined && !matchesPredicate(entry.item, options.filter)) continue;
    if (page.length === options.maxResults) return { items: page.map((kept) => kept.item), nextKey: (page.at(-1) as Keyed<T>).key };
    page.push(entry);
  }
  return { items: page.map((kept) => kept.item) };
}
