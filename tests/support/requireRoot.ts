/**
 * For tests that make OS accounts or users: they need root on Linux, as CI runs them. Elsewhere they fail with this
 * message rather than skip, so a run without root never passes by testing less.
 */
export function requireRoot(what: string): void {
  if (process.platform !== "linux" || process.getuid?.() !== 0) throw new Error(`${what} needs root on Linux (CI runs the tests as root)`);
}
