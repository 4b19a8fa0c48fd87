/**
 * The server's background work for a set of accounts, made, started and stopped as one: the heartbeat tracker
 * (silent agents, dead local agents started again, nodes unknown for too long), the pool reconciler, the scheduling
 * loop with its plan applier, the deadlines (wall-clock limits, retention), the job schedule runner, the
 * autoscale loop and the simulated Spot evictions (when configured). One server process runs one for every account it serves; with replicas, each process runs one
 * per account whose election it won, on a fenced store, for as long as it holds it (cluster/election.ts).
 *
 * `handle` takes the effects that concern background work (server.ts routes the others).
 */
import { hostname } from "node:os";
import type { CloudPool } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import type { ResolvedServerConfig } from "../config.js";
import type { Effect } from "../effects/effects.js";
import { releaseUnresponsiveNodes } from "../lifecycle/unresponsiveNodes.js";
import type { AgentIdentity, AgentTokens } from "../nodes/agentTokens.js";
import type { ProviderSet } from "../providers/providerSet.js";
import type { AgentRecord } from "../records/agents.js";
import type { PoolCapabilityCheck } from "../records/poolRules.js";
import { AutoscaleLoop } from "./autoscaleLoop.js";
import { Deadlines } from "./deadlines.js";
import { HeartbeatTracker } from "./heartbeatTracker.js";
import { JobScheduleRunner } from "./jobScheduleRunner.js";
import { PlanApplier } from "./planApplier.js";
import { PoolReconciler } from "./poolReconciler.js";
import { SchedulingLoop } from "./schedulingLoop.js";
import { SpotEvictions } from "./spotEvictions.js";

/** Where background work logs (the server's pino logger). */
export interface WorkLog {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface BackgroundWorkOptions {
  /** The accounts this work is for. */
  readonly accounts: readonly string[];
  /** The server's store (with replicas: fenced, so that a process that lost its election cannot write). */
  readonly store: Store;
  readonly config: ResolvedServerConfig;
  readonly providers: ProviderSet;
  readonly tokens: AgentTokens;
  readonly issueTaskToken: (account: string, jobId: string, now: Date) => Promise<string>;
  readonly nodeUrl: (account: string, poolId: string, nodeId: string) => string;
  readonly removeNodeDirectory: (account: string, poolId: string, nodeId: string, directory: string) => Promise<void>;
  readonly poolCapabilities: PoolCapabilityCheck;
  readonly log: () => WorkLog | undefined;
  /** Failures that are no error of the work's (with replicas: the election was lost); not logged as errors. */
  readonly isExpected?: (error: unknown) => boolean;
  readonly onSchedulingRound?: (seconds: number) => void;
  /** Waits until every wake-up committed before now has arrived (replicas: from other processes). */
  readonly settleWakeUps?: () => Promise<void>;
}

export class BackgroundWork {
  private readonly heartbeats: HeartbeatTracker;
  private readonly reconciler: PoolReconciler;
  private readonly scheduling: SchedulingLoop;
  private readonly deadlines: Deadlines;
  private readonly scheduleRunner: JobScheduleRunner;
  private readonly autoscale: AutoscaleLoop;
  private readonly spotEvictions: SpotEvictions | undefined;

  constructor(private readonly options: BackgroundWorkOptions) {
    const { store, config, providers, tokens } = options;
    const failed = (message: string) => (error: unknown, context: object) => {
      if (options.isExpected?.(error) === true) return;
      options.log()?.error({ err: error, ...context }, message);
    };
    this.heartbeats = new HeartbeatTracker({
      store,
      clock: config.clock,
      timeoutInMs: config.nodeHeartbeatTimeoutInSeconds * 1000,
      onAgentLost: (identity) => void this.restartIfGone(identity).catch((error: unknown) => failed("restarting a lost agent failed")(error, identity)),
      abandonAfterInMs: config.unknownNodeTimeoutInSeconds * 1000,
      onAgentAbandoned: async (identity) => {
        const released = await store.write((tx) => releaseUnresponsiveNodes(tx, identity, config.clock.now()));
        if (released > 0) options.log()?.warn({ ...identity, nodes: released }, "nodes unknown for too long: their runs were given up as lost");
      },
      onError: (error) => failed("heartbeat check failed")(error, {}),
    });
    this.reconciler = new PoolReconciler({
      store,
      providers,
      tokens,
      clock: config.clock,
      quotas: config.quotas,
      nodeUrl: options.nodeUrl,
      onError: (error, context) => failed("pool reconcile failed")(error, context),
      onAgentRegistered: (launch) => this.heartbeats.seen(launch, config.clock.now()),
    });
    this.scheduling = new SchedulingLoop({
      store,
      clock: config.clock,
      safetyNetInMs: config.schedulingSafetyNetInSeconds * 1000,
      lookAheadPerSlot: config.dispatchLookAhead,
      applier: new PlanApplier({ store, now: () => config.clock.now(), issueTaskToken: options.issueTaskToken, lookAheadPerSlot: config.dispatchLookAhead }),
      onError: (error, account) => failed("scheduling round failed")(error, { account }),
      onMissedWakeUp: (account, placed) => options.log()?.warn({ account, placed }, "the scheduling safety net placed work no wake-up announced"),
      ...(options.onSchedulingRound === undefined ? {} : { onRound: options.onSchedulingRound }),
      ...(options.settleWakeUps === undefined ? {} : { settleWakeUps: options.settleWakeUps }),
    });
    this.deadlines = new Deadlines({
      store,
      clock: config.clock,
      sweepInMs: config.retentionSweepInMs,
      removeNodeDirectory: options.removeNodeDirectory,
      onError: (error, account) => failed("deadline pass failed")(error, { account }),
    });
    this.scheduleRunner = new JobScheduleRunner({
      store,
      clock: config.clock,
      poolCapabilities: options.poolCapabilities,
      quotas: config.quotas,
      onError: (error, account) => failed("job schedule pass failed")(error, { account }),
    });
    this.autoscale = new AutoscaleLoop({
      store,
      clock: config.clock,
      accounts: options.accounts,
      tickInMs: config.autoscaleTickInMs,
      onError: (error, context) => failed("autoscale pass failed")(error, context),
    });
    this.spotEvictions =
      config.spotEvictionRatePerHour > 0
        ? new SpotEvictions({
            store,
            clock: config.clock,
            ratePerHour: config.spotEvictionRatePerHour,
            recoveryInMs: config.spotRecoveryInSeconds * 1000,
            onError: (error, account) => failed("spot eviction pass failed")(error, { account }),
          })
        : undefined;
  }

  /** Picks up where whoever ran the work before left off: every agent, pool, job, schedule and deadline is looked at. */
  async start(): Promise<void> {
    const { accounts } = this.options;
    await this.heartbeats.start(accounts);
    await this.reconciler.reconcileAll(accounts);
    this.scheduling.start(accounts);
    this.scheduleRunner.start(accounts);
    this.deadlines.start(accounts);
    this.autoscale.start();
    this.spotEvictions?.start(accounts);
  }

  /** An effect for background work (the others are not this work's and are ignored). */
  handle(effect: Effect): void {
    switch (effect.kind) {
      case "wakeScheduler":
        return this.scheduling.wake(effect.account);
      case "reconcilePool":
        // A pool's nodes changed: Spot nodes that appeared or recovered get their eviction time too.
        this.spotEvictions?.kick(effect.account);
        return void this.reconciler.kick(effect.account, effect.poolId);
      case "kickScheduleRunner":
        return this.scheduleRunner.kick(effect.account);
      case "kickDeadlines":
        return this.deadlines.kick(effect.account);
      default:
        return;
    }
  }

  /** Runs the pool's reconciler; resolves when the run that includes this kick is done. */
  reconcile(account: string, poolId: string): Promise<void> {
    return this.reconciler.kick(account, poolId);
  }

  /** An agent synced with this server process (its heartbeat). */
  seen(identity: AgentIdentity, now: Date): void {
    this.heartbeats.seen(identity, now);
  }

  forget(identity: AgentIdentity): void {
    this.heartbeats.forget(identity);
  }

  connectedAgents(): number {
    return this.heartbeats.connectedAgents();
  }

  get missedWakeUps(): number {
    return this.scheduling.missedWakeUps;
  }

  /** Stops every loop and waits for the passes in flight. */
  async close(): Promise<void> {
    this.heartbeats.close();
    this.reconciler.close();
    await this.autoscale.close();
    await this.scheduleRunner.close();
    await this.deadlines.close();
    await this.spotEvictions?.close();
    await this.scheduling.close();
    await this.reconciler.idle();
  }

  /**
   * Starts a silent agent again when its provider knows its process is gone — for a local agent, only one this
   * host started (a process elsewhere cannot tell whether it runs) — and through a write transaction, so that a
   * server process that lost its election (a fenced store) starts nothing.
   */
  private async restartIfGone(identity: AgentIdentity): Promise<void> {
    const { providers, tokens, config } = this.options;
    const found = await this.options.store.read(async (tx) => {
      const agent = await tx.get<AgentRecord>({ account: identity.account, kind: "agent", scope: identity.poolId, id: identity.agentId });
      const pool = await tx.get<CloudPool>({ account: identity.account, kind: "pool", scope: "", id: identity.poolId });
      return agent === undefined || pool === undefined ? undefined : { agent: agent.body, pool: pool.body };
    });
    if (found === undefined) return;
    const kind = found.agent.provider ?? "local";
    if (kind === "local" && found.agent.launchedOn !== undefined && found.agent.launchedOn !== hostname()) return;
    const provider = providers.of(kind);
    if ((await provider.isAgentGone(identity)) !== true) return;
    const confirmed = await this.options.store.write(async (tx) => (await tx.get<AgentRecord>({ account: identity.account, kind: "agent", scope: identity.poolId, id: identity.agentId })) !== undefined);
    if (!confirmed) return;
    this.options.log()?.warn({ ...identity }, "agent process gone; starting it again");
    this.heartbeats.seen(identity, config.clock.now());
    await provider.startAgent({ ...identity, token: tokens.issue(identity), pool: found.pool });
  }
}
