/**
 * Batch user identities as OS accounts (docs/security.md), when the agent runs as root and isolates tasks
 * (`accounts` mode, process/sandbox.ts). Every process of a node runs as the account of its `userIdentity`:
 *
 * | identity                              | OS account                          | lives                          |
 * |---------------------------------------|-------------------------------------|--------------------------------|
 * | auto-user, scope pool, non-admin (default) | `_azbatch_<pool>`              | while a node of the pool is here |
 * | auto-user, scope pool, admin          | `_azbatchsudo_<pool>`               | the same                       |
 * | auto-user, scope task (either level)  | `_azbatchtask_<pool>_<run>`         | one run of one task            |
 * | named user of the pool's userAccounts | `_azbatchuser_<pool>_<name hash>`   | while a node of the pool is here |
 *
 * `<pool>` is 8 hex digits of a hash of the data directory, the Batch account and the pool id, so that pools of
 * different accounts (or servers) on one host never share an account, while the nodes of one pool on one host do
 * (as the nodes of an Azure pool have the same accounts). Azure's own names (`_azbatch`, `_azbatchtask_1`) cannot be
 * used as they are: an OS account is host-wide, and one host runs nodes of many pools and accounts here.
 *
 * No identity is privileged on the host: Azure's `admin` elevation gives root on a VM dedicated to the pool, which
 * on a shared host would give every pool's files to every task. Admin and non-admin identities are distinct
 * unprivileged accounts; the sandbox confines both to their node.
 *
 * Accounts are host-wide while identities are per node, so the shared registry (osUserRegistry.ts, in
 * `<dataDir>/.task-users`, apart from node users') records which nodes hold each account; an account is deleted with
 * `userdel` once no node holds it (the last node of its pool leaves; a task-scope run ends). The registry file is also
 * the proof OpenBatch made the account: a name that exists without one is never used or touched.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { DesiredUserAccount, UserIdentity } from "@openbatch/protocol";
import type { Logger } from "../log.js";
import * as system from "./osUserCommands.js";
import type { OsUserHolder, OsUserRegistry } from "./osUserRegistry.js";

/** Beside the pool directories and the node users' registry (`.os-users`). */
export function taskIdentityRegistryDirectory(dataDirectory: string): string {
  return join(dataDirectory, ".task-users");
}

/** What a process asks to run as, resolved against its pool's user accounts. */
export type IdentitySpec =
  | { readonly kind: "auto"; readonly scope: "pool" | "task"; readonly admin: boolean }
  | { readonly kind: "user"; readonly name: string; readonly admin: boolean };

/** Thrown when a process cannot run as its identity; the run fails with this message. */
export class IdentityError extends Error {
  override readonly name = "IdentityError";
}

/**
 * The identity a `userIdentity` names (absent: the pool's non-admin auto-user, semantics.md §2.8). A user name must
 * be one of the pool's user accounts (compared case-insensitively, as the pool refuses names differing only in case).
 */
export function identitySpec(identity: UserIdentity | undefined, userAccounts: readonly DesiredUserAccount[] | undefined): IdentitySpec {
  if (identity?.username !== undefined) {
    const wanted = identity.username.toLowerCase();
    const account = (userAccounts ?? []).find((user) => user.name.toLowerCase() === wanted);
    if (account === undefined) throw new IdentityError(`The user identity '${identity.username}' names no user account of the pool.`);
    return { kind: "user", name: account.name, admin: account.elevationLevel === "admin" };
  }
  return { kind: "auto", scope: identity?.autoUser?.scope === "task" ? "task" : "pool", admin: identity?.autoUser?.elevationLevel === "admin" };
}

/** `AZ_BATCH_TASK_USER_IDENTITY` (semantics.md §2.8): `PoolNonAdmin`, `PoolAdmin`, `TaskNonAdmin`, `TaskAdmin` or the user's name. */
export function identityName(spec: IdentitySpec): string {
  if (spec.kind === "user") return spec.name;
  return `${spec.scope === "task" ? "Task" : "Pool"}${spec.admin ? "Admin" : "NonAdmin"}`;
}

function hex(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

export interface PoolOfNode {
  /** The agents' data directory (`<dataDir>/nodes`): tells two servers' pools of the same names apart. */
  readonly dataDirectory: string;
  /** The Batch account. */
  readonly account: string;
  readonly poolId: string;
}

/** The OS account name of an identity (at most 28 characters, all of them safe for useradd). `run` names a task-scope run. */
export function accountNameFor(pool: PoolOfNode, spec: IdentitySpec, run: string): string {
  const tag = hex(`${pool.dataDirectory}\u0000${pool.account}\u0000${pool.poolId.toLowerCase()}`, 8);
  if (spec.kind === "user") return `_azbatchuser_${tag}_${hex(spec.name.toLowerCase(), 6)}`;
  if (spec.scope === "task") return `_azbatchtask_${tag}_${hex(run, 6)}`;
  return spec.admin ? `_azbatchsudo_${tag}` : `_azbatch_${tag}`;
}

export interface TaskIdentitiesOptions {
  readonly agentId: string;
  readonly registry: OsUserRegistry;
  readonly logger: Logger;
}

/** A hold on an account: `<poolId>/<nodeId>` for a node's pool-wide accounts, `…#<run>` for a task-scope run's. */
export type HoldKey = string;

/** One change to an account's holders, in the order asked. */
interface HoldChange {
  readonly hold: HoldKey;
  readonly add: boolean;
}

/** The changes to one account gathered while the previous batch for it was being written. */
interface Batch {
  readonly changes: HoldChange[];
  /** The account once the batch is written (undefined when it only dropped holds). */
  readonly done: Promise<system.OsAccount | undefined>;
}

/**
 * Holds are per node, so a pool of many nodes on one agent asks for the same account once per node at about the
 * same time (every start task). Those requests are written to the registry as one batch per account: the first
 * change starts a batch, and every change asked while it waits for (or holds) the account's lock goes into the next
 * one. So an agent takes the host-wide lock, reads the registry and looks the account up once per batch instead
 * of once per node (1,000 nodes on a host took the lock 1,000 times in a row, each waiting for the last).
 */
export class TaskIdentities {
  /** Accounts this agent process holds, with the holds it has on each. */
  private readonly held = new Map<string, { account: system.OsAccount; holds: Set<HoldKey> }>();
  /** The batch still gathering changes, per account. */
  private readonly gathering = new Map<string, Batch>();
  /** The last batch started per account: the next one is written after it. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly options: TaskIdentitiesOptions) {}

  /** The account for `name`, made if missing, held for `hold` until released. */
  async acquire(name: string, hold: HoldKey): Promise<system.OsAccount> {
    const known = this.held.get(name);
    if (known !== undefined && known.holds.has(hold)) return known.account;
    const account = await this.change(name, { hold, add: true });
    if (account === undefined) throw new IdentityError(`The OS account '${name}' could not be had.`);
    const record = this.held.get(name) ?? { account, holds: new Set<HoldKey>() };
    record.holds.add(hold);
    this.held.set(name, record);
    return account;
  }

  /** Drops one hold; the account is deleted when no hold of any agent is left. */
  async release(name: string, hold: HoldKey): Promise<void> {
    const record = this.held.get(name);
    record?.holds.delete(hold);
    if (record !== undefined && record.holds.size === 0) this.held.delete(name);
    await this.change(name, { hold, add: false });
  }

  /** Drops every hold of a node (`<poolId>/<nodeId>`), its task-scope runs' included: the node left or moved. */
  async releaseNode(node: string): Promise<void> {
    const releases: Promise<void>[] = [];
    for (const [name, record] of [...this.held]) {
      for (const hold of [...record.holds]) if (hold === node || hold.startsWith(`${node}#`)) releases.push(this.release(name, hold));
    }
    await Promise.all(releases);
  }

  /**
   * After a restart: drops this agent's holds of nodes it no longer hosts and of every task-scope run (no run
   * survives a restart), deleting accounts nobody holds any more.
   */
  async recover(hostedNodes: ReadonlySet<string>): Promise<void> {
    const { registry, agentId, logger } = this.options;
    for (const name of await registry.names()) {
      try {
        const entry = await registry.read(name);
        const stale = Object.entries(entry?.holders ?? {}).some(([hold, holder]) => holder.agentId === agentId && (hold.includes("#") || !hostedNodes.has(hold)));
        if (stale || Object.keys(entry?.holders ?? {}).length === 0) {
          await this.drop(name, (hold, holder) => holder.agentId === agentId && (hold.includes("#") || !hostedNodes.has(hold)));
        }
      } catch (error) {
        logger.log("error", "could not release a task identity's OS account", { userName: name, error });
      }
    }
  }

  /** Queues a change into the account's gathering batch; resolves with that batch's outcome. */
  private change(name: string, change: HoldChange): Promise<system.OsAccount | undefined> {
    let batch = this.gathering.get(name);
    if (batch === undefined) {
      const changes: HoldChange[] = [];
      const previous = this.tails.get(name) ?? Promise.resolve();
      const done = previous.then(() => {
        // From here on, changes go into the next batch.
        if (this.gathering.get(name) === batch) this.gathering.delete(name);
        return this.write(name, changes);
      });
      batch = { changes, done };
      this.gathering.set(name, batch);
      const tail = done.catch(() => undefined);
      this.tails.set(name, tail);
      void tail.then(() => {
        if (this.tails.get(name) === tail) this.tails.delete(name);
      });
    }
    batch.changes.push(change);
    return batch.done;
  }

  /** Applies a batch to the registry under the account's lock; makes the account when it is wanted and missing. */
  private async write(name: string, changes: readonly HoldChange[]): Promise<system.OsAccount | undefined> {
    const { registry, agentId, logger } = this.options;
    const wanted = changes.some((change) => change.add);
    return registry.locked(name, async () => {
      const entry = await registry.read(name);
      // While one of our holds is registered no agent deletes the account: what we found earlier still stands.
      const ours = Object.values(entry?.holders ?? {}).some((holder) => holder.agentId === agentId);
      let found = wanted ? (ours ? this.held.get(name)?.account : undefined) ?? (await system.findAccount(name)) : undefined;
      if (wanted && entry === undefined && found !== undefined) {
        throw new IdentityError(`An OS account named '${name}' exists and OpenBatch did not create it; the task cannot run as it.`);
      }
      const holders: Record<string, OsUserHolder> = { ...entry?.holders };
      for (const change of changes) {
        if (change.add) holders[change.hold] = { agentId, fingerprint: "" };
        else delete holders[change.hold];
      }
      if (Object.keys(holders).length === 0) {
        if (entry === undefined) return undefined;
        await system.deleteAccount(name, true);
        await registry.remove(name);
        logger.log("info", "deleted a task identity's OS account no node holds any more", { userName: name });
        return undefined;
      }
      // Claimed before useradd: a failure half-way is retried, never mistaken for someone else's account.
      await registry.write({ name, holders });
      if (wanted && found === undefined) {
        found = await system.createTaskAccount(name);
        logger.log("info", "created an OS account for a task identity", { userName: name, uid: found.uid });
      }
      return found;
    });
  }

  private async drop(name: string, matches: (hold: HoldKey, holder: { agentId: string }) => boolean): Promise<void> {
    const { registry, logger } = this.options;
    await registry.locked(name, async () => {
      const entry = await registry.read(name);
      if (entry === undefined) return;
      const holders = Object.fromEntries(Object.entries(entry.holders).filter(([hold, holder]) => !matches(hold, holder)));
      if (Object.keys(holders).length > 0) {
        await registry.write({ name, holders });
        return;
      }
      await system.deleteAccount(name, true);
      await registry.remove(name);
      logger.log("info", "deleted a task identity's OS account no node holds any more", { userName: name });
    });
  }
}
