/**
 * Polls `probe` until it returns a value (not undefined, not false) or the time runs out. `false` counts as "not
 * yet" so that a probe written as a comparison waits instead of returning at once. Probe errors count as "not yet":
 * right after a server restart a pooled keep-alive connection may still point at the old server.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutInMs = 60_000, intervalInMs = 50): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value as Exclude<T, false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalInMs));
  }
}
