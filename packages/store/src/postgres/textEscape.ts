/**
 * jsonb cannot hold the character U+0000 (PostgreSQL text never can), while a client may send it in any string
 * (`"displayName": "a\u0000b"`) and the SQLite store keeps it. So the PostgreSQL store escapes it, losslessly, with
 * the private-use character U+E000 as escape: U+0000 is stored as U+E000 "0" and U+E000 itself as U+E000 "1".
 * Strings without either character — all but a contrived few — are stored and compared unchanged; escaped ones
 * still compare equal, and by prefix, as the originals do (only their order against other strings may differ).
 */
const escape = "\uE000";

/** A body's JSON text as stored: JSON.stringify writes U+0000 as the escape `\u0000` and U+E000 as itself. */
export function escapeJsonText(json: string): string {
  if (!json.includes("\\u0000") && !json.includes(escape)) return json;
  // `\u0000` is the escape only after an even number of backslashes (else its backslash is itself escaped).
  return json.replaceAll(escape, `${escape}1`).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, `$1${escape}0`);
}

/** The JSON text of a stored body (or page of bodies) as the client sent it. */
export function unescapeJsonText(json: string): string {
  return json.includes(escape) ? json.replace(/\uE000([01])/g, (_, code: string) => (code === "0" ? "\\u0000" : escape)) : json;
}

/** A string value compared with stored text (a filter's value). */
export function escapeText(text: string): string {
  return text.includes("\u0000") || text.includes(escape) ? text.replaceAll(escape, `${escape}1`).replaceAll("\u0000", `${escape}0`) : text;
}

/** A stored string (a tally's group value) as it was sent. */
export function unescapeText(text: string): string {
  return text.includes(escape) ? text.replace(/\uE000([01])/g, (_, code: string) => (code === "0" ? "\u0000" : escape)) : text;
}
