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
import type { OsUserRegistry } from "./osUserRegistry.js";

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

export class TaskIdentities {
  /** Accounts this agent process holds, with the holds it has on each. */
  private readonly held = new Map<string, { account: system.OsAccount; holds: Set<HoldKey> }>();

  constructor(private readonly options: TaskIdentitiesOptions) {}

  /** The account for `name`, made if missing, held for `hold` until released. */
  async acquire(name: string, hold: HoldKey): Promise<system.OsAccount> {
    const known = this.held.get(name);
    if (known !== undefined && known.holds.has(hold)) return known.account;
    const { registry, agentId, logger } = this.options;
    const account = await registry.locked(name, async () => {
      const entry = await registry.read(name);
      let found = await system.findAccount(name);
      if (entry === undefined && found !== undefined) {
        throw new IdentityError(`An OS account named '${name}' exists and OpenBatch did not create it; the task cannot run as it.`);
      }
      // Claimed before useradd: a failure half-way is retried, never mistaken for someone else's account.
      await registry.write({ name, holders: { ...entry?.holders, [hold]: { agentId, fingerprint: "" } } });
      if (found === undefined) {
        found = await system.createTaskAccount(name);
        logger.log("info", "created an OS account for a task identity", { userName: name, uid: found.uid });
      }
      return found;
    });
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
    await this.drop(name, (key) => key === hold);
  }

  /** Drops every hold of a node (`<poolId>/<nodeId>`), its task-scope runs' included: the node left or moved. */
  async releaseNode(node: string): Promise<void> {
    for (const [name, record] of [...this.held]) {
      for (const hold of [...record.holds]) if (hold === node || hold.startsWith(`${node}#`)) await this.release(name, hold);
    }
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
