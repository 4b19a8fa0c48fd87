/**
 * The server's Prometheus metrics, in a registry of its own (several servers can share a process, as tests do).
 * Counters and histograms are fed as things happen (requests, store commits, scheduling rounds); gauges of stored
 * state (tasks by state, nodes by state per pool) are read from the store when scraped, with the same grouped
 * counts `Job_GetTaskCounts` uses, so a scrape costs a few indexed queries and never holds state of its own.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Store } from "@openbatch/store";

export interface ServerMetricsSources {
  readonly store: Store;
  readonly accounts: readonly string[];
  /** Agents whose heartbeats are current. */
  readonly connectedAgents: () => number;
  readonly eventSubscribers: () => number;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

async function eachPage<T>(store: Store, collection: { account: string; kind: "pool" | "job"; scope: string }, visit: (item: { id: string; body: T }) => Promise<void>): Promise<void> {
  let afterKey: string | undefined;
  do {
    const page = await store.read((tx) => tx.list<T>(collection, { limit: 1000, afterKey }));
    for (const item of page.items) await visit(item);
    afterKey = page.nextKey;
  } while (afterKey !== undefined);
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"operation" | "status">;
  readonly requestDuration: Histogram<"operation" | "status">;
  readonly storeCommitDuration: Histogram;
  readonly schedulingRoundDuration: Histogram;
  readonly agentExchanges: Counter;

  constructor(sources: ServerMetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "openbatch_" });
    this.requests = new Counter({
      name: "openbatch_requests_total",
      help: "Batch API requests answered, by operation id and HTTP status.",
      labelNames: ["operation", "status"],
      registers,
    });
    this.requestDuration = new Histogram({
      name: "openbatch_request_duration_seconds",
      help: "Time from a Batch API request's arrival to its response, by operation id and HTTP status.",
      labelNames: ["operation", "status"],
      buckets: latencyBuckets,
      registers,
    });
    this.storeCommitDuration = new Histogram({
      name: "openbatch_store_commit_duration_seconds",
      help: "Time of a store write transaction, from its first statement to its commit.",
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.schedulingRoundDuration = new Histogram({
      name: "openbatch_scheduling_round_duration_seconds",
      help: "Time of one scheduling round (snapshot, plan, apply) of one account.",
      buckets: latencyBuckets,
      registers,
    });
    this.agentExchanges = new Counter({
      name: "openbatch_agent_exchanges_total",
      help: "Sync exchanges with node agents (each carries an agent's reports and answers with its nodes' desired state).",
      registers,
    });
    new Gauge({
      name: "openbatch_connected_agents",
      help: "Node agents whose heartbeats are current.",
      registers,
      collect() {
        this.set(sources.connectedAgents());
      },
    });
    new Gauge({
      name: "openbatch_event_subscribers",
      help: "Open event streams (GET /_events).",
      registers,
      collect() {
        this.set(sources.eventSubscribers());
      },
    });
    new Gauge({
      name: "openbatch_tasks",
      help: "Tasks by account and state.",
      labelNames: ["account", "state"],
      registers,
      async collect() {
        this.reset();
        for (const account of sources.accounts) {
          const totals = new Map<string, number>();
          // The store's maintained counts of every job of the account: no task is read.
          for (const group of await sources.store.read((tx) => tx.taskCounts(account))) totals.set(String(group.state), (totals.get(String(group.state)) ?? 0) + group.count);
          for (const state of ["active", "preparing", "running", "completed"]) this.set({ account, state }, totals.get(state) ?? 0);
        }
      },
    });
    new Gauge({
      name: "openbatch_nodes",
      help: "Compute nodes by account, pool and state.",
      labelNames: ["account", "pool", "state"],
      registers,
      async collect() {
        this.reset();
        for (const account of sources.accounts) {
          await eachPage<unknown>(sources.store, { account, kind: "pool", scope: "" }, async (pool) => {
            const groups = await sources.store.read((tx) => tx.tally({ account, kind: "node", scope: pool.id }, [{ path: ["state"], kind: "enum" }]));
            for (const group of groups) this.set({ account, pool: pool.id, state: String(group.values[0]) }, group.count);
          });
        }
      },
    });
  }

  /** Records one scheduling round's duration (SchedulingLoopOptions.onRound). */
  readonly observeSchedulingRound = (seconds: number): void => {
    this.schedulingRoundDuration.observe(seconds);
  };

  /** Records one write transaction's duration (a StoreObserver's `committedIn`). */
  readonly observeCommit = (seconds: number): void => {
    this.storeCommitDuration.observe(seconds);
  };
}
