/**
 * Node users as OS accounts (docs/agent-protocol.md "Node users"). When the agent runs as root on Linux, each user
 * of a node it hosts is an account of this host: created (`useradd`, home under /home), configured on every change
 * (password hash, expiry, admin group, authorized SSH key) and deleted with its home once no node wants it any more.
 *
 * `apply` takes the full set of users every hosted node wants (a node being removed, or no longer listed, wants
 * none) and converges in the background, one account at a time; an unchanged set is not applied again, a failed
 * one is retried with the next desired state. Accounts are host-wide, so the shared registry (osUserRegistry.ts)
 * records which nodes — of any agent of this data directory — want each one: for password, key, expiry and admin
 * the node that changed last wins. An account OpenBatch did not create (root, a system or a person's account) is
 * never touched: the node user stays a record and the agent logs why, once.
 */
import { createHash } from "node:crypto";
import type { DesiredNodeUser } from "@openbatch/protocol";
import type { Logger } from "../log.js";
import * as system from "./osUserCommands.js";
import type { OsUserHolder, OsUserRegistry } from "./osUserRegistry.js";

/** `<poolId>/<nodeId>`. */
export type NodeKey = string;

export type WantedUsers = ReadonlyMap<NodeKey, readonly DesiredNodeUser[]>;

/** Whether this agent manages OS accounts, and if not, why (logged once). */
export function osUserSupport(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, uid: number | undefined): { enabled: true } | { enabled: false; reason: string } {
  if (env["OPENBATCH_AGENT_OS_USERS"] === "off") return { enabled: false, reason: "OPENBATCH_AGENT_OS_USERS=off" };
  if (platform !== "linux") return { enabled: false, reason: `the agent runs on ${platform}, not Linux` };
  if (uid !== 0) return { enabled: false, reason: "the agent does not run as root" };
  return { enabled: true };
}

/**
 * Azure's user name rules as Linux accepts them: a letter or '_' first, then letters, digits, '_', '.' or '-', at
 * most 32 characters, not ending in '.'. Checked before any command sees a name (it also names registry files).
 */
export function isSafeUserName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(name) && !name.endsWith(".");
}

export function userFingerprint(user: DesiredNodeUser): string {
  const facts = [user.isAdmin, user.expiryTime, user.passwordHash ?? null, user.sshPublicKey ?? null];
  return createHash("sha256").update(JSON.stringify(facts)).digest("base64url");
}

export interface AccountPlan {
  /** The account's holders once this agent's nodes are accounted for; none: delete the account. */
  readonly holders: Record<NodeKey, OsUserHolder>;
  /** A wish of this agent's nodes that changed since it was applied (the last one wins); undefined: none changed. */
  readonly changed?: { readonly node: NodeKey; readonly user: DesiredNodeUser };
  /** Any current wish of this agent's nodes, to recreate an account that vanished. */
  readonly anyWish?: DesiredNodeUser;
}

/** What one account should become, from its registry holders and what this agent's nodes want of it. */
export function planAccount(holders: Readonly<Record<NodeKey, OsUserHolder>>, agentId: string, wishes: ReadonlyMap<NodeKey, DesiredNodeUser>): AccountPlan {
  const next: Record<NodeKey, OsUserHolder> = {};
  for (const [node, holder] of Object.entries(holders)) {
    if (holder.agentId !== agentId || wishes.has(node)) next[node] = holder;
  }
  let changed: AccountPlan["changed"];
  let anyWish: DesiredNodeUser | undefined;
  for (const [node, user] of wishes) {
    anyWish = user;
    const fingerprint = userFingerprint(user);
    if (next[node]?.fingerprint !== fingerprint || next[node]?.agentId !== agentId) changed = { node, user };
    next[node] = { agentId, fingerprint };
  }
  return { holders: next, ...(changed === undefined ? {} : { changed }), ...(anyWish === undefined ? {} : { anyWish }) };
}

export interface OsUsersOptions {
  readonly agentId: string;
  readonly registry: OsUserRegistry;
  readonly logger: Logger;
}

export class OsUsers {
  private queued: { wanted: WantedUsers; digest: string } | undefined;
  private running: Promise<void> | undefined;
  private current: string | undefined;
  private applied: string | undefined;
  /** Names already logged as refused, so that each sync does not log them again. */
  private readonly refused = new Set<string>();

  constructor(private readonly options: OsUsersOptions) {}

  /** Converges the host's accounts on `wanted` in the background. */
  apply(wanted: WantedUsers): void {
    const digest = createHash("sha256")
      .update(JSON.stringify([...wanted].filter(([, users]) => users.length > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))
      .digest("base64");
    if (digest === (this.queued?.digest ?? this.current ?? this.applied)) return;
    this.queued = { wanted, digest };
    this.kick();
  }

  /** Resolves once nothing is left to apply. */
  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private kick(): void {
    if (this.running !== undefined) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.queued !== undefined) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queued !== undefined) {
      const { wanted, digest } = this.queued;
      this.queued = undefined;
      this.current = digest;
      const converged = await this.reconcile(wanted);
      this.current = undefined;
      this.applied = converged ? digest : undefined;
    }
  }

  /** Visits every account this agent's nodes want or hold; true when all of them converged. */
  private async reconcile(wanted: WantedUsers): Promise<boolean> {
    const { agentId, registry, logger } = this.options;
    const wishes = new Map<string, Map<NodeKey, DesiredNodeUser>>();
    for (const [node, users] of wanted) {
      for (const user of users) {
        if (!isSafeUserName(user.name)) {
          this.refuseOnce(user.name, "the name is not a valid Linux user name");
          continue;
        }
        const byNode = wishes.get(user.name) ?? new Map<NodeKey, DesiredNodeUser>();
        byNode.set(node, user);
        wishes.set(user.name, byNode);
      }
    }
    let converged = true;
    const names = new Set(wishes.keys());
    try {
      for (const name of await registry.names()) {
        if (!isSafeUserName(name) || names.has(name)) continue;
        const entry = await registry.read(name);
        const holders = Object.values(entry?.holders ?? {});
        // Also an account no node holds: a deletion that failed earlier, which any agent may finish.
        if (holders.length === 0 || holders.some((holder) => holder.agentId === agentId)) names.add(name);
      }
    } catch (error) {
      logger.log("error", "could not read the OS user registry", { error });
      return false;
    }
    for (const name of [...names].sort()) {
      try {
        await registry.locked(name, () => this.reconcileAccount(name, wishes.get(name) ?? new Map()));
      } catch (error) {
        converged = false;
        logger.log("error", "could not apply a node user to its OS account; retrying with the next desired state", { userName: name, error });
      }
    }
    return converged;
  }

  private async reconcileAccount(name: string, wishes: ReadonlyMap<NodeKey, DesiredNodeUser>): Promise<void> {
    const { agentId, registry, logger } = this.options;
    const entry = await registry.read(name);
    const plan = planAccount(entry?.holders ?? {}, agentId, wishes);
    if (Object.keys(plan.holders).length === 0) {
      if (entry === undefined) return;
      await system.deleteAccount(name);
      await registry.remove(name);
      logger.log("info", "deleted an OS account no node wants any more", { userName: name });
      return;
    }
    let account = await system.findAccount(name);
    if (entry === undefined && account !== undefined) {
      this.refuseOnce(name, "an OS account of that name exists and OpenBatch did not create it");
      return;
    }
    this.refused.delete(name);
    const spec = plan.changed?.user ?? (account === undefined ? plan.anyWish : undefined);
    if (spec === undefined) {
      if (account === undefined) logger.log("warn", "an OS account OpenBatch made is gone; the node that changes it next recreates it", { userName: name });
      await registry.write({ name, holders: plan.holders });
      return;
    }
    // Claimed before any command, unapplied: a failure half-way is retried, never mistaken for a foreign account.
    const changedNode = plan.changed?.node;
    await registry.write({
      name,
      holders: changedNode === undefined ? plan.holders : { ...plan.holders, [changedNode]: { agentId, fingerprint: "" } },
    });
    if (account === undefined) {
      account = await system.createAccount(name);
      logger.log("info", "created an OS account for a node user", { userName: name });
    }
    await system.configureAccount(account, spec);
    await registry.write({ name, holders: plan.holders });
  }

  private refuseOnce(name: string, reason: string): void {
    if (this.refused.has(name)) return;
    this.refused.add(name);
    this.options.logger.log("error", "not making a node user an OS account: it stays a record", { userName: name, reason });
  }
}
