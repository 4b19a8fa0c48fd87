/**
 * JSON with every object's keys in sorted order, for telling whether two values hold the same data: a value read
 * back from PostgreSQL's JSONB has its keys in JSONB's order (shorter keys first), not in the order the code that
 * made it wrote them, so plain `JSON.stringify` calls a record read back different from the same record just made.
 * Like JSON.stringify, it leaves out properties whose value is undefined. Pure.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) =>
    entry !== null && typeof entry === "object" && !Array.isArray(entry)
      ? Object.fromEntries(Object.entries(entry as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : entry,
  );
}
