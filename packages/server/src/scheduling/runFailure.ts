/**
 * A finished run's `failureInfo` (semantics.md §2.4): the agent's failure as reported — code, message, category
 * (`usererror` unless the agent says `servererror`, as for a storage error on the node's side) and details — or,
 * when the process ran and exited non-zero without another failure, `FailureExitCode`. Pure.
 */
import type { ProcessOutcome, TaskFailureInformation } from "@openbatch/protocol";

export function failureInfoOf(outcome: ProcessOutcome): TaskFailureInformation {
  const failure = outcome.failure;
  if (failure === undefined) {
    return { category: "usererror", code: "FailureExitCode", message: "The task process exited with an unexpected exit code" };
  }
  return {
    category: failure.category ?? "usererror",
    code: failure.code,
    message: failure.message,
    ...(failure.details === undefined || failure.details.length === 0 ? {} : { details: failure.details.map(({ name, value }) => ({ name, value })) }),
  };
}
