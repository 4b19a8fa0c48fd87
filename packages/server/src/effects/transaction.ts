/**
 * The server's store: any Store, whose write transactions carry what the server's effects and lifecycle layer need
 * — the effect handler, a fresh de-duplication set per attempt of a transaction body, and how an illegal state
 * transition is treated. The Store interface is unchanged; the context is found from the transaction object.
 */
import type { ReadTx, Store, WriteTx } from "@openbatch/store";
import { effectKey, type Effect, type EffectHandler } from "./effects.js";

export interface EffectStoreOptions {
  /** Runs each committed effect (server.ts wires the loops, notifier and reconciler here). */
  readonly handle: EffectHandler;
  /**
   * Whether a state change the transition tables do not allow throws (tests) or is written and reported as an
   * `illegalTransition` effect (production: logged loudly). @default false
   */
  readonly strictTransitions?: boolean;
  /**
   * Told of each effect as it is recorded, inside the transaction (which may still fail or run again): replicas
   * send the ones other processes must hear with `tx.notify` (cluster/replica.ts).
   */
  readonly onRecord?: (tx: WriteTx, effect: Effect) => void;
}

export interface TransactionContext {
  readonly handle: EffectHandler;
  readonly onRecord: ((tx: WriteTx, effect: Effect) => void) | undefined;
  readonly recorded: Set<string>;
  readonly strictTransitions: boolean;
  /** Counts illegal transitions met, whether thrown or written. */
  readonly noteIllegalTransition: () => void;
  /** Writes to make at the end of the body, before COMMIT, by key (`beforeCommit`). */
  readonly beforeCommit: Map<string, () => Promise<void>>;
}

const contexts = new WeakMap<WriteTx, TransactionContext>();

export function contextOf(tx: WriteTx): TransactionContext {
  const context = contexts.get(tx);
  if (context === undefined) throw new Error("A server transaction was not opened through the server's store (effects/effectStore.ts).");
  return context;
}

/** The store the server's layers use; `illegalTransitions` counts those met (tests fail on any). */
export class EffectStore implements Store {
  private illegal = 0;

  constructor(
    private readonly inner: Store,
    private readonly options: EffectStoreOptions,
  ) {}

  get illegalTransitions(): number {
    return this.illegal;
  }

  read<R>(work: (tx: ReadTx) => Promise<R>): Promise<R> {
    return this.inner.read(work);
  }

  write<R>(work: (tx: WriteTx) => Promise<R>): Promise<R> {
    return this.inner.write(async (tx) => {
      // Per attempt: a retried body records its effects again, into a set of its own.
      const context: TransactionContext = {
        handle: this.options.handle,
        onRecord: this.options.onRecord,
        recorded: new Set(),
        strictTransitions: this.options.strictTransitions ?? false,
        noteIllegalTransition: () => this.illegal++,
        beforeCommit: new Map(),
      };
      contexts.set(tx, context);
      const result = await work(tx);
      for (const write of context.beforeCommit.values()) await write();
      return result;
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Runs `write` once at the end of `tx`'s body, before it commits (the first registration of `key` wins): for
 * figures many changes of one transaction add to, written once (lifecycle/statistics.ts).
 */
export function beforeCommit(tx: WriteTx, key: string, write: () => Promise<void>): void {
  const context = contextOf(tx);
  if (!context.beforeCommit.has(key)) context.beforeCommit.set(key, write);
}

/** Records `effect` to run after `tx` commits (once per transaction, however often it is recorded). */
export function recordEffect(tx: WriteTx, effect: Effect): void {
  const context = contextOf(tx);
  const key = effectKey(effect);
  if (context.recorded.has(key)) return;
  context.recorded.add(key);
  context.onRecord?.(tx, effect);
  tx.afterCommit(() => context.handle(effect));
}
