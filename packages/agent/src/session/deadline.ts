/**
 * A deadline for one request to a server, as an AbortSignal. Not `AbortSignal.timeout()`: combined with
 * `AbortSignal.any()` and handed to a fetch that keeps only a weak reference to its signal, nothing holds the timeout
 * signal strongly, and once it is garbage-collected the deadline never fires — observed as an agent waiting forever
 * on a replica frozen with SIGSTOP. Here the timer holds the controller, and `clear()` ends it with the request.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  clear(): void;
}

export function deadline(inMs: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")), inMs);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
