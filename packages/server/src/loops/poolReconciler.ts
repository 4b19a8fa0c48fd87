/**
 * The pool reconciler: makes a pool's nodes match its targets, the one place that allocates and releases nodes.
 *
 * On every change to a pool (add, resize, delete, a node leaving) and at start-up it runs, per pool and never twice
 * at once for the same pool (later kicks coalesce into one more run), one store transaction that:
 * - while the pool is `resizing`: creates missing nodes (state `creating`) and assigns each to an agent of the pool
 *   with room, registering new agents as needed — their processes are started by the compute provider after the
 *   commit; marks surplus nodes `leavingpool` (action remove; idle and newest first), the agent then deletes them;
 *   a steady pool is left as it is, even below its targets (after a timed-out resize, as Azure leaves it);
 * - allocates no more cores than the account's quotas allow (quotas.ts; a node has the cores of its VM size, counted
 *   against the dedicated or the Spot quota; a quota left at the host's default covers only the local provider's
 *   pools): a pool asking for more gets what fits and the resize error `AccountCoreQuotaReached` /
 *   `AccountLowPriorityCoreQuotaReached`, and settles with it, as Azure stops allocating;
 * - creates at most `maxNodesPerPass` nodes per transaction and runs again for the rest, so that a large resize does
 *   not hold the store for long while requests wait;
 * - once a resize runs past `resizeTimeout`, gives up the nodes not yet reached, records `resizeErrors`
 *   (`AllocationTimedOut`) and lets the pool settle (`stopping` → `steady`), as stop resize does;
 * - for a `deleting` pool, marks every node leaving and removes the pool once no node is left;
 * - sets `currentDedicatedNodes`/`currentLowPriorityNodes` and `allocationState`: `resizing` until the nodes that
 *   stay have all been reached by their agent and the leaving ones are gone, then `steady`.
 * Then it wakes the pool's agents, so they learn their new desired state without polling. A run with nothing to
 * create, remove, keep or recover — most runs: every node first reached by its agent kicks one — only settles the
 * pool's counts and allocation state from a census of its nodes grouped by the store (`settleOnly`), reading no node
 * row and waking no agent: a 1,000-node pool coming up must not cost a full read of its nodes per node. The state changes
 * themselves — nodes allocated, leaving, kept, recovered, removed, the pool's allocation state — are
 * lifecycle/nodes.ts's, lifecycle/nodeOperations.ts's and lifecycle/pools.ts's; this loop decides which.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { canonicalJson, formatTimestamp, idKey, parseDuration, vmSizeInfo, type Clock } from "@openbatch/core";
import type { CloudPool } from "@openbatch/protocol";
import type { Store, WriteTx } from "@openbatch/store";
import { readAutoscaleState } from "../autoscale/autoscaleRecords.js";
import { recordEffect } from "../effects/transaction.js";
import { leavingNode } from "../lifecycle/nodeOperations.js";
import { insertNodes, keptNode, newNode, recoveredNode, writeNode } from "../lifecycle/nodes.js";
import { reconciledPool, removeDeletedPool } from "../lifecycle/pools.js";
import type { AgentTokens } from "../nodes/agentTokens.js";
import type { AgentLaunch, NodePlacement } from "../providers/computeProvider.js";
import { poolNumber } from "../records/nodeIds.js";
import type { ProviderSet } from "../providers/providerSet.js";
import type { AgentRecord } from "../records/agents.js";
import { freeSlot } from "../records/inboundEndpoints.js";
import { resolvePackageReferences } from "../records/applications.js";
import { listAll } from "../records/listAll.js";
import type { NodeRecord, StoredNode } from "../records/nodes.js";
import { poolRef } from "../records/pools.js";
import type { AccountCoreQuotas, CoreQuota, Quotas } from "../quotas.js";

export type { AgentRecord } from "../records/agents.js";

export interface PoolReconcilerOptions {
  readonly store: Store;
  /** Each pool's compute provider starts the agents of its nodes, or its agents join by themselves. */
  readonly providers: ProviderSet;
  readonly tokens: AgentTokens;
  readonly clock: Clock;
  /** The absolute URL of a node, for its `url`. */
  readonly nodeUrl: (account: string, poolId: string, nodeId: string) => string;
  /** The accounts' core quotas (quotas.ts). @default none */
  readonly quotas?: Quotas;
  /** The most nodes one transaction creates; a pool needing more gets them over several. @default 200 */
  readonly maxNodesPerPass?: number;
  readonly onError: (error: unknown, context: { account: string; poolId: string }) => void;
  /** Called for each agent registered, before its process starts. */
  readonly onAgentRegistered?: (launch: AgentLaunch) => void;
}

function nodeIdTime(now: Date): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, "")}t${iso.slice(11, 19).replace(/:/g, "")}z`;
}

function nodeIndex(nodeId: string): number {
  const match = /_(\d+)-/.exec(nodeId);
  return match === null ? 0 : Number(match[1]);
}

/** Idle and not-yet-started nodes go first, newest first: the least work is lost. */
function removalOrder(a: StoredNode, b: StoredNode): number {
  const cost = (node: StoredNode) => (node.body.state === "running" ? 2 : node.body.state === "idle" ? 1 : 0);
  return cost(a) - cost(b) || nodeIndex(b.id) - nodeIndex(a.id);
}

interface PoolCounts {
  readonly dedicated: number;
  readonly lowPriority: number;
  /** Nodes leaving (or asked to) and not gone yet. */
  readonly leaving: number;
  /** Whether a node the pool keeps has not been reached by its agent yet. */
  readonly creating: boolean;
  readonly resizeErrors: CloudPool["resizeErrors"] | undefined;
  /** The account's core quota stopped the resize short (`resizeErrors` then says so). */
  readonly quotaLimited: boolean;
  /** More nodes are to be made in another pass (`maxNodesPerPass`). */
  readonly more: boolean;
}

/** A pool's nodes counted by what the reconciler looks at, grouped by the store (`tally`: no row is parsed here). */
interface NodeCensus {
  /** Staying nodes (action run, not named by remove nodes), dedicated and low-priority. */
  readonly dedicated: number;
  readonly lowPriority: number;
  /** Staying nodes not yet reached by their agent. */
  readonly creating: number;
  /** Nodes on their way out (action remove). */
  readonly leaving: number;
  /** Nodes named by remove nodes and still running. */
  readonly named: number;
  /** Running nodes in `leavingpool` (draining, or kept after a drain). */
  readonly liveLeaving: number;
  readonly preempted: number;
}

async function nodeCensus(tx: WriteTx, account: string, poolId: string): Promise<NodeCensus> {
  const groups = await tx.tally({ account, kind: "node", scope: poolId }, [
    { path: ["_ob", "action"], kind: "string" },
    { path: ["state"], kind: "enum" },
    { path: ["isDedicated"], kind: "bool" },
    { path: ["_ob", "removalRequested"], kind: "string" },
  ]);
  const census = { dedicated: 0, lowPriority: 0, creating: 0, leaving: 0, named: 0, liveLeaving: 0, preempted: 0 };
  for (const { values: [action, state, isDedicated, removalRequested], count } of groups) {
    if (state === "preempted") census.preempted += count;
    if (action !== "run") {
      census.leaving += count;
      continue;
    }
    if (removalRequested !== null && removalRequested !== undefined) {
      census.named += count;
      continue;
    }
    if (state === "leavingpool") census.liveLeaving += count;
    if (state === "creating") census.creating += count;
    // A missing isDedicated is dedicated, as everywhere else (`isDedicated ?? true`).
    if (isDedicated === 0) census.lowPriority += count;
    else census.dedicated += count;
  }
  return census;
}

/** The resize error of a pool stopped short by the account's dedicated or Spot core quota. */
function coreQuotaError(dedicated: boolean, quota: number, pool: CloudPool): NonNullable<CloudPool["resizeErrors"]>[number] {
  return {
    code: dedicated ? "AccountCoreQuotaReached" : "AccountLowPriorityCoreQuotaReached",
    message: dedicated
      ? "Desired number of dedicated nodes could not be allocated as the account has reached its dedicated core quota."
      : "Desired number of low priority nodes could not be allocated as the account has reached its low priority core quota.",
    values: [
      { name: "CoreQuota", value: String(quota) },
      { name: "VmSize", value: pool.vmSize ?? "" },
    ],
  };
}

export class PoolReconciler {
  private readonly running = new Map<string, Promise<void>>();
  /** Wake-ups for preempted nodes due to recover. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly again = new Set<string>();

  constructor(private readonly options: PoolReconcilerOptions) {
  }

  /** Schedules a reconcile of the pool; returns when the run that includes this kick is done. */
  kick(account: string, poolId: string): Promise<void> {
    const key = `${account}\u0000${poolId.toLowerCase()}`;
    const current = this.running.get(key);
    if (current !== undefined) {
      this.again.add(key);
      return current;
    }
    const run = (async () => {
      do {
        this.again.delete(key);
        try {
          await this.reconcile(account, poolId);
        } catch (error) {
          this.options.onError(error, { account, poolId });
        }
      } while (this.again.has(key));
      // In the same turn as the last check of `again`: a `.finally` would leave a gap in which a kick is lost.
      this.running.delete(key);
    })();
    this.running.set(key, run);
    return run;
  }

  /** Reconciles every pool of every account (start-up). */
  async reconcileAll(accounts: readonly string[]): Promise<void> {
    for (const account of accounts) {
      let afterKey: string | undefined;
      do {
        const page = await this.options.store.read((tx) => tx.list<CloudPool>({ account, kind: "pool", scope: "" }, { limit: 500, afterKey }));
        await Promise.all(page.items.map((pool) => this.kick(account, pool.id)));
        afterKey = page.nextKey;
      } while (afterKey !== undefined);
    }
  }

  /** Waits for every reconcile in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Stops the recovery timers. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async reconcile(account: string, poolId: string): Promise<void> {
    const now = this.options.clock.now();
    const { launches, wakeAt, more } = await this.options.store.write(async (tx) => {
      const census = await nodeCensus(tx, account, poolId);
      const recovery = census.preempted > 0 ? await this.recoverPreempted(tx, account, poolId, now) : undefined;
      // Preempted nodes (recovered just now or waiting) need the full run: its census would be out of date.
      const settled = census.preempted === 0 && (await this.settleOnly(tx, account, poolId, census, now));
      const { launches: launched, draining, more: unfinished } = settled ? { launches: [], draining: false, more: false } : await this.reconcileIn(tx, account, poolId, now);
      // The pool's agents learn their new desired state without polling (settling alone changes no node).
      if (!settled) recordEffect(tx, { kind: "notifyPool", account, poolId });
      const pool = await tx.get<CloudPool>(poolRef(account, poolId));
      const deadline =
        pool?.body.allocationState === "resizing" && pool.body.enableAutoScale !== true && pool.body.allocationStateTransitionTime !== undefined
          ? new Date(pool.body.allocationStateTransitionTime).getTime() + this.resizeTimeoutInMs(pool.body)
          : undefined;
      // Draining nodes are looked at again shortly: their tasks' end is reported to the agent sync, not to us.
      const drainCheck = draining ? now.getTime() + 1000 : undefined;
      const wake = [recovery, deadline, drainCheck].filter((at): at is number => at !== undefined);
      return { launches: launched, wakeAt: wake.length === 0 ? undefined : Math.min(...wake), more: unfinished };
    });
    const key = `${account}\u0000${poolId.toLowerCase()}`;
    // More nodes to create: another pass, after whatever waits for the store.
    if (more) this.again.add(key);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (wakeAt !== undefined) {
      const timer = setTimeout(() => void this.kick(account, poolId), Math.max(0, wakeAt - now.getTime()));
      timer.unref();
      this.timers.set(key, timer);
    }
    for (const launch of launches) {
      this.options.onAgentRegistered?.(launch);
      await this.options.providers.forPool(launch.pool).startAgent(launch);
    }
  }

  private async reconcileIn(tx: WriteTx, account: string, poolId: string, now: Date): Promise<{ launches: AgentLaunch[]; draining: boolean; more: boolean }> {
    const ref = poolRef(account, poolId);
    const pool = await tx.get<CloudPool>(ref);
    if (pool === undefined) return { launches: [], draining: false, more: false };
    const time = formatTimestamp(now);
    const nodes = await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId });
    const live = nodes.filter((node) => node.body._ob.action === "run");
    const deleting = pool.body.state === "deleting";
    const placement = this.options.providers.forPool(pool.body).placement;
    const leaving: StoredNode[] = [];
    const created: NodeRecord[] = [];

    // Nodes named by remove nodes leave whatever the targets say (those already exclude them).
    const named = live.filter((node) => node.body._ob.removalRequested !== undefined);
    let resizeErrors = this.resizeTimeoutErrors(pool.body, now);
    const quotaErrors: NonNullable<CloudPool["resizeErrors"]> = [];
    let more = false;
    if (deleting) {
      leaving.push(...live);
    } else if (resizeErrors !== undefined) {
      // The resize (or removal) timed out: nodes not yet reached are given up, nodes still draining stay, and the
      // pool settles with what it has.
      const unreached = live.filter((node) => node.body.state === "creating");
      leaving.push(...unreached);
      if (placement.kind === "joined") await this.giveUpAgents(tx, account, poolId, unreached, time, now);
    } else {
      leaving.push(...named);
    }
    // Agents that joined by themselves get nodes whenever the targets want more, also after a resize gave up on
    // them: a host started late is still welcome.
    const growing = pool.body.allocationState === "resizing" || (placement.kind === "joined" && pool.body.allocationState === "steady");
    if (!deleting && resizeErrors === undefined && growing) {
      const quotas = this.options.quotas?.coreQuotas(account);
      const room = quotas === undefined ? undefined : await this.coresLeft(tx, account, pool.body, quotas);
      const cores = vmSizeInfo(pool.body.vmSize ?? "")?.cores ?? 0;
      let nextIndex = Math.max(0, ...nodes.map((node) => nodeIndex(node.id))) + 1;
      const slots = new Set(nodes.map((node) => node.body._ob.slot).filter((taken) => taken !== undefined));
      for (const isDedicated of [true, false]) {
        const target = (isDedicated ? pool.body.targetDedicatedNodes : pool.body.targetLowPriorityNodes) ?? 0;
        const current = live.filter((node) => !named.includes(node) && (node.body.isDedicated ?? true) === isDedicated);
        if (current.length > target) leaving.push(...[...current].sort(removalOrder).slice(0, current.length - target));
        // Nodes the quota allows the pool (never fewer than it has: a lowered quota does not remove nodes).
        const coresLeft = room === undefined ? Infinity : isDedicated ? room.dedicated : room.lowPriority;
        const allowed = cores === 0 ? Infinity : Math.max(current.length, Math.floor(coresLeft / cores));
        if (target > allowed && quotas !== undefined) quotaErrors.push(coreQuotaError(isDedicated, (isDedicated ? quotas.dedicated : quotas.lowPriority).cores, pool.body));
        for (let i = current.length; i < Math.min(target, allowed); i++) {
          if (created.length >= (this.options.maxNodesPerPass ?? 200)) {
            more = true;
            break;
          }
          const id = `tvm-${poolNumber(account, pool.id)}_${nextIndex++}-${nodeIdTime(now)}`;
          const slot = freeSlot(slots);
          slots.add(slot);
          created.push(newNode(pool.body, id, this.options.nodeUrl(account, pool.body.id ?? poolId, id), isDedicated, time, slot));
        }
      }
      // The resize ends short of its targets with the reason, as Azure's does; unchanged errors are not written again.
      if (quotaErrors.length > 0 && canonicalJson(quotaErrors) !== canonicalJson(pool.body.resizeErrors)) resizeErrors = quotaErrors;
    }

    // Nodes leave the way remove nodes asked for them, else the way the last resize asked (`nodeDeallocationOption`)
    // or the last autoscale evaluation chose (`$NodeDeallocationOption`); requeue when none said, and always when
    // the pool is being deleted (semantics.md §6.1).
    const poolOption = deleting ? "requeue" : ((await readAutoscaleState(tx, account, poolId))?.nodeDeallocationOption ?? "requeue");
    let gone = 0;
    let draining = 0;
    for (const node of leaving) {
      const option = deleting ? "requeue" : (node.body._ob.removalRequested ?? poolOption);
      const left = await leavingNode(tx, account, poolId, node.body, option, now);
      if (left === undefined) {
        gone++;
        continue;
      }
      // A draining node (its tasks finish first) stays, taking no new tasks, until they have.
      if (left._ob.action === "run") draining++;
      if (left !== node.body) await writeNode(tx, account, poolId, node.body, left, now);
    }
    // A draining node the pool keeps after all (its targets grew again, its removal timed out or was stopped)
    // takes tasks again.
    for (const node of live.filter((n) => !leaving.includes(n) && (n.body.state === "leavingpool" || n.body._ob.removalRequested !== undefined))) {
      await writeNode(tx, account, poolId, node.body, keptNode(tx, account, poolId, node.body, time), now);
    }
    // Every node an agent still has counts against its room, leaving ones too: a draining agent (a Slurm pilot being
    // replaced) must not take the node that replaces its own.
    const launches = await this.assignAgents(tx, account, pool.body, placement, nodes, created);
    // Joined agents without room for them: those nodes are not made (yet).
    if (placement.kind === "joined") {
      const placed = created.filter((node) => node._ob.agentId !== "");
      // No room for the rest until another agent joins (which kicks the pool): no further pass now.
      if (placed.length < created.length) more = false;
      created.splice(0, created.length, ...placed);
    }
    if (created.length > 0) {
      // Pinned until the node is rebooted or reimaged (NodeService.restart), as pool changes reach nodes (semantics.md §6.1).
      const { deployments } = await resolvePackageReferences(tx, account, pool.body.applicationPackageReferences);
      if (deployments.length > 0) for (const node of created) node._ob.applicationPackages = deployments;
    }
    await insertNodes(tx, account, pool.body, created, now);

    if (deleting && nodes.length === gone) {
      await removeDeletedPool(tx, account, poolId, now);
      return { launches, draining: false, more: false };
    }
    const staying = [...live.filter((node) => !leaving.includes(node)).map((node) => node.body), ...created];
    const dedicated = staying.filter((node) => node.isDedicated !== false).length;
    await this.settle(tx, account, pool.body, {
      dedicated,
      lowPriority: staying.length - dedicated,
      leaving: nodes.length - live.length + leaving.length - gone,
      creating: staying.some((node) => node.state === "creating"),
      resizeErrors,
      quotaLimited: quotaErrors.length > 0,
      more,
    }, now);
    return { launches, draining: draining > 0, more };
  }

  /**
   * The cores the account has left for this pool, dedicated and Spot: each quota less what the account's other pools
   * it covers hold (their current nodes, those still being created included, times their VM size's cores). A quota
   * that is the host's default covers only pools of the local provider (docs/quotas.md): other providers' pools get
   * Infinity from it.
   */
  private async coresLeft(tx: WriteTx, account: string, pool: CloudPool, quotas: AccountCoreQuotas): Promise<{ dedicated: number; lowPriority: number }> {
    const local = (candidate: CloudPool) => this.options.providers.kindOf(candidate) === "local";
    const covers = (quota: CoreQuota, candidate: CloudPool) => !quota.hostDefault || local(candidate);
    let dedicated = covers(quotas.dedicated, pool) ? quotas.dedicated.cores : Infinity;
    let lowPriority = covers(quotas.lowPriority, pool) ? quotas.lowPriority.cores : Infinity;
    if (dedicated === Infinity && lowPriority === Infinity) return { dedicated, lowPriority };
    for (const other of await listAll<CloudPool>(tx, { account, kind: "pool", scope: "" })) {
      if (idKey(other.id) === idKey(pool.id ?? "")) continue;
      const cores = vmSizeInfo(other.body.vmSize ?? "")?.cores ?? 0;
      if (covers(quotas.dedicated, other.body)) dedicated -= (other.body.currentDedicatedNodes ?? 0) * cores;
      if (covers(quotas.lowPriority, other.body)) lowPriority -= (other.body.currentLowPriorityNodes ?? 0) * cores;
    }
    return { dedicated: Math.max(0, dedicated), lowPriority: Math.max(0, lowPriority) };
  }

  /**
   * The pool's node counts and allocation state from its nodes' census, when that is all a run has to do: nothing
   * to create, remove, keep or recover (the common case by far — every node first reached by its agent kicks a
   * run, to see whether the pool is steady now). Reads no node rows; false when the full run is needed.
   */
  private async settleOnly(tx: WriteTx, account: string, poolId: string, census: NodeCensus, now: Date): Promise<boolean> {
    const pool = await tx.get<CloudPool>(poolRef(account, poolId));
    if (pool === undefined || pool.body.state === "deleting" || census.named > 0 || census.liveLeaving > 0) return false;
    if (this.resizeTimeoutErrors(pool.body, now) !== undefined) return false;
    // While nodes may still be wanted (a resize, or a joined pool short of its targets waiting for agents), only a
    // pool at its targets is settled here: making nodes is the full run's.
    const growing = pool.body.allocationState === "resizing" || this.options.providers.forPool(pool.body).placement.kind === "joined";
    if (growing && (census.dedicated !== (pool.body.targetDedicatedNodes ?? 0) || census.lowPriority !== (pool.body.targetLowPriorityNodes ?? 0))) return false;
    await this.settle(tx, account, pool.body, { dedicated: census.dedicated, lowPriority: census.lowPriority, leaving: census.leaving, creating: census.creating > 0, resizeErrors: undefined, quotaLimited: false, more: false }, now);
    return true;
  }

  /** Writes the pool's current node counts and allocation state: `steady` once every node it keeps was reached and none is leaving. */
  private async settle(tx: WriteTx, account: string, pool: CloudPool, counts: PoolCounts, now: Date): Promise<void> {
    const deleting = pool.state === "deleting";
    // A resize settles once its targets are met (joined pools fall short while they wait for agents), it timed out,
    // or the account's core quota stopped it short.
    const targetsMet = counts.dedicated >= (pool.targetDedicatedNodes ?? 0) && counts.lowPriority >= (pool.targetLowPriorityNodes ?? 0);
    const settled =
      !deleting && !counts.more && counts.leaving === 0 && !counts.creating && (pool.allocationState !== "resizing" || counts.resizeErrors !== undefined || counts.quotaLimited || targetsMet);
    const timedOut = counts.resizeErrors !== undefined && !counts.quotaLimited;
    const unsettled = timedOut || pool.allocationState === "stopping" ? "stopping" : "resizing";
    const allocationState = deleting ? pool.allocationState : settled ? "steady" : unsettled;
    const changes: Partial<CloudPool> = {};
    if (counts.resizeErrors !== undefined) changes.resizeErrors = counts.resizeErrors;
    if (pool.currentDedicatedNodes !== counts.dedicated) changes.currentDedicatedNodes = counts.dedicated;
    if (pool.currentLowPriorityNodes !== counts.lowPriority) changes.currentLowPriorityNodes = counts.lowPriority;
    if (Object.keys(changes).length > 0 || pool.allocationState !== allocationState) {
      const poolId = pool.id ?? "";
      await tx.replace(poolRef(account, poolId), reconciledPool(tx, account, pool, changes, allocationState ?? "steady", formatTimestamp(now)), now);
    }
  }

  /**
   * The resize errors to record when the pool's resize has run past its `resizeTimeout` (semantics.md §6.1:
   * the pool turns steady with what it has and reports why), or undefined while there is time left.
   */
  private resizeTimeoutErrors(pool: CloudPool, now: Date): CloudPool["resizeErrors"] | undefined {
    if (pool.allocationState !== "resizing" || pool.allocationStateTransitionTime === undefined) return undefined;
    // semantics.md §7.1: resizeTimeout does not apply to autoscale pools.
    if (pool.enableAutoScale === true) return undefined;
    const started = new Date(pool.allocationStateTransitionTime).getTime();
    if (now.getTime() < started + this.resizeTimeoutInMs(pool)) return undefined;
    return [
      {
        code: "AllocationTimedOut",
        message: "Desired number of nodes could not be allocated as the resize timeout was reached.",
        values: [{ name: "ResizeTimeout", value: pool.resizeTimeout ?? "PT15M" }],
      },
    ];
  }

  private resizeTimeoutInMs(pool: CloudPool): number {
    return parseDuration(pool.resizeTimeout ?? "PT15M") ?? 15 * 60_000;
  }

  /** Brings back preempted nodes whose time has come; returns when the next one is due. */
  private async recoverPreempted(tx: WriteTx, account: string, poolId: string, now: Date): Promise<number | undefined> {
    let next: number | undefined;
    for (const node of await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId })) {
      const runtime = node.body._ob;
      if (node.body.state !== "preempted" || runtime.suspended !== true || runtime.recoverAt === undefined) continue;
      const due = new Date(runtime.recoverAt).getTime();
      if (due > now.getTime()) {
        next = Math.min(next ?? due, due);
        continue;
      }
      await writeNode(tx, account, poolId, node.body, recoveredNode(tx, account, poolId, node.body, formatTimestamp(now)), now);
    }
    return next;
  }

  /** Joined agents that never reached their nodes before the resize timed out (`AgentRecord.givenUpAt`). */
  private async giveUpAgents(tx: WriteTx, account: string, poolId: string, unreached: readonly StoredNode[], time: string, now: Date): Promise<void> {
    for (const agentId of new Set(unreached.map((node) => node.body._ob.agentId).filter((id) => id !== ""))) {
      const ref = { account, kind: "agent" as const, scope: poolId, id: agentId };
      const agent = await tx.get<AgentRecord>(ref);
      if (agent !== undefined) await tx.replace(ref, { ...agent.body, givenUpAt: time }, now);
    }
  }

  /**
   * Puts each new node on an agent of the pool with room: registering new agents as needed when the provider
   * starts them, or only on agents that joined, up to the nodes each offered (a node without room keeps no agent).
   */
  private async assignAgents(tx: WriteTx, account: string, pool: CloudPool, placement: NodePlacement, hosted: StoredNode[], created: NodeRecord[]): Promise<AgentLaunch[]> {
    if (created.length === 0) return [];
    const poolId = pool.id as string;
    const provider = this.options.providers.kindOf(pool);
    const load = new Map<string, number>();
    const room = new Map<string, number>();
    for (const agent of await listAll<AgentRecord>(tx, { account, kind: "agent", scope: poolId })) {
      // Agents keep the provider that started them: a spawning provider fills only its own agents.
      if ((agent.body.provider ?? "local") !== provider) continue;
      if (agent.body.givenUpAt !== undefined && !(agent.body.lastSeen !== undefined && agent.body.lastSeen > agent.body.givenUpAt)) continue;
      load.set(agent.id, 0);
      room.set(agent.id, placement.kind === "joined" ? (agent.body.capacity ?? 0) : placement.nodesPerAgent);
    }
    for (const node of hosted) {
      const count = load.get(node.body._ob.agentId);
      if (count !== undefined) load.set(node.body._ob.agentId, count + 1);
    }
    const launches: AgentLaunch[] = [];
    for (const node of created) {
      let agentId = [...load.entries()].find(([id, count]) => count < (room.get(id) ?? 0))?.[0];
      if (agentId === undefined && placement.kind === "joined") continue;
      if (agentId === undefined) {
        agentId = `agent-${randomBytes(6).toString("hex")}`;
        await tx.insert<AgentRecord>({ account, kind: "agent", scope: poolId, id: agentId }, { id: agentId, poolId, provider, launchedOn: hostname() }, this.options.clock.now());
        launches.push({ account, poolId, agentId, token: this.options.tokens.issue({ account, poolId, agentId }), pool });
        load.set(agentId, 0);
        room.set(agentId, placement.kind === "spawn" ? placement.nodesPerAgent : 0);
      }
      node._ob.agentId = agentId;
      load.set(agentId, (load.get(agentId) ?? 0) + 1);
    }
    return launches;
  }
}
