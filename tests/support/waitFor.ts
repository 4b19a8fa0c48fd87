/**
 * Polls `probe` until it returns a value (not undefined) or the time runs out. Probe errors count as "not yet":
 * right after a server restart a pooled keep-alive connection may still point at the old server.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutInMs = 60_000, intervalInMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalInMs));
  }
}
