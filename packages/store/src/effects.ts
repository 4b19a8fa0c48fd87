/**
 * Runs a committed transaction's after-commit effects in order. The transaction is already durable, so a failing
 * effect must neither undo it nor stop the effects after it: it is reported and the rest still run.
 */
export function runEffects(effects: readonly (() => void)[], onError: (error: unknown) => void): void {
  for (const effect of effects) {
    try {
      effect();
    } catch (error) {
      onError(error);
    }
  }
}
