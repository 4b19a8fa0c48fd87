/**
 * What must happen after a transaction commits, as data. A transaction body records an effect with
 * `recordEffect(tx, effect)`; the store runs it once after a successful commit and drops it on rollback or retry
 * (WriteTx.afterCommit), so a body can run more than once and nothing wakes up for work that was never committed.
 * Effects are de-duplicated per transaction (a body that ends 50 tasks of one pool notifies the pool once).
 *
 * (transaction.ts has `recordEffect` and the store that carries the handler.)
 *
 * The lifecycle layer records them where state changes (lifecycle/transitions.ts: entering `active` wakes the
 * scheduler, and so on), so a new path that changes state cannot forget its wake-ups. `server.ts` says in one
 * place what each effect does (`EffectHandler`).
 */
export type Effect =
  /** Placeable work may have appeared for the account (a task or job became active, slots freed, a node usable). */
  | { readonly kind: "wakeScheduler"; readonly account: string }
  /** The desired state of the pool's nodes changed: agents long-polling on the pool answer at once. */
  | { readonly kind: "notifyPool"; readonly account: string; readonly poolId: string }
  /** The pool's nodes must follow its targets or state (add, resize, delete, a node leaving, preempted or reached). */
  | { readonly kind: "reconcilePool"; readonly account: string; readonly poolId: string }
  /** A job schedule may have a job due (a schedule changed, a job completed or went). */
  | { readonly kind: "kickScheduleRunner"; readonly account: string }
  /** A job's wall-clock deadline may have moved (a job added or changed). */
  | { readonly kind: "kickDeadlines"; readonly account: string }
  /** A transition the state tables do not allow was written anyway (production mode): logged loudly. */
  | { readonly kind: "illegalTransition"; readonly account: string; readonly entity: string; readonly id: string; readonly problem: string };

export type EffectHandler = (effect: Effect) => void;

/** Effects with the same key are one: recorded twice in a transaction, they run once. */
export function effectKey(effect: Effect): string {
  switch (effect.kind) {
    case "notifyPool":
    case "reconcilePool":
      return `${effect.kind}\u0000${effect.account}\u0000${effect.poolId.toLowerCase()}`;
    case "illegalTransition":
      return `${effect.kind}\u0000${effect.account}\u0000${effect.entity}\u0000${effect.id}\u0000${effect.problem}`;
    default:
      return `${effect.kind}\u0000${effect.account}`;
  }
}
