/**
 * `startswith(id, …)` as a range of the key index. Both stores order id keys by their UTF-8 bytes (SQLite's BINARY
 * collation, PostgreSQL's "C"), which is code point order, so the strings that start with `prefix` are exactly those
 * from `prefix` (inclusive) to `prefixEnd(prefix)` (exclusive).
 */

const maxCodePoint = 0x10ffff;

/**
 * The least string after every string that starts with `prefix`: the prefix with its last code point raised by one
 * (trailing U+10FFFF dropped first, surrogates skipped), or undefined when no string is after them all (an empty
 * prefix, or one of U+10FFFF only).
 */
export function prefixEnd(prefix: string): string | undefined {
  // A lone surrogate is no character: the drivers send it as U+FFFD, so no range would be right.
  if (/\p{Cs}/u.test(prefix)) return undefined;
  const codePoints = Array.from(prefix, (character) => character.codePointAt(0) as number);
  while (codePoints.length > 0 && codePoints.at(-1) === maxCodePoint) codePoints.pop();
  const last = codePoints.pop();
  if (last === undefined) return undefined;
  // U+D800–U+DFFF are no characters (UTF-8 has no bytes for them): the next one after U+D7FF is U+E000.
  const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
  return String.fromCodePoint(...codePoints, next);
}
