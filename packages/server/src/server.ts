/**
 * The composition root: the one place that picks concrete parts (SQLite store, clock, authenticators, compute
 * provider), wires the services and handlers into the HTTP pipeline, and owns their lifetimes.
 *
 * Lifecycle: `startServer` resolves once the store is migrated and the port is listening (then /healthz answers
 * 200) and the pool reconciler has caught up with every pool; `close()` releases long-polling agents, stops
 * accepting requests, lets in-flight ones finish, then closes the store. Local agents are detached and outlive it.
 */
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { assertNever } from "@openbatch/core";
import type { CloudPool } from "@openbatch/protocol";
import { openStore } from "@openbatch/store";
import { AccountRegistry } from "./accounts.js";
import { createAuthenticator } from "./auth/authenticate.js";
import { createBearerTokenVerifier } from "./auth/bearerToken.js";
import { TaskTokens } from "./auth/taskTokens.js";
import { resolveServerConfig, type ResolvedServerConfig, type ServerOptions } from "./config.js";
import { registerAdminRoutes } from "./applications/adminEndpoint.js";
import { registerAgentPackageRoute } from "./applications/agentPackageRoute.js";
import { PackageFiles } from "./applications/packageFiles.js";
import { AutoscaleService } from "./autoscale/autoscaleService.js";
import type { Effect } from "./effects/effects.js";
import { EffectStore } from "./effects/transaction.js";
import { accountHandlers } from "./handlers/account.js";
import { autoscaleHandlers } from "./handlers/autoscale.js";
import { applicationHandlers } from "./handlers/application.js";
import { certificateHandlers } from "./handlers/certificate.js";
import { computeNodeHandlers } from "./handlers/computeNode.js";
import { computeNodeExtensionHandlers } from "./handlers/computeNodeExtension.js";
import { fileHandlers } from "./handlers/file.js";
import { jobHandlers } from "./handlers/job.js";
import { jobScheduleHandlers } from "./handlers/jobSchedule.js";
import { implementedOperations } from "./handlers/notImplemented.js";
import { poolHandlers } from "./handlers/pool.js";
import { taskHandlers } from "./handlers/task.js";
import { poolUsageMetricsHandlers } from "./handlers/poolUsageMetrics.js";
import { serviceLogHandlers } from "./handlers/serviceLogs.js";
import { createApp } from "./http/app.js";
import type { HandlerTable } from "./http/context.js";
import { registerStatusPage } from "./http/statusPage.js";
import { acquireDataDirLock } from "./dataDirLock.js";
import { registerDashboardRoute } from "./http/dashboardRoute.js";
import { EventHub } from "./events/eventHub.js";
import { registerEventsRoute } from "./events/eventsRoute.js";
import { observeStore } from "./events/observedStore.js";
import { registerMetricsRoute } from "./metrics/metricsRoute.js";
import { ServerMetrics } from "./metrics/serverMetrics.js";
import { releaseUnresponsiveNodes } from "./lifecycle/unresponsiveNodes.js";
import { AutoscaleLoop } from "./loops/autoscaleLoop.js";
import { Deadlines } from "./loops/deadlines.js";
import { HeartbeatTracker } from "./loops/heartbeatTracker.js";
import { JobScheduleRunner } from "./loops/jobScheduleRunner.js";
import { PlanApplier } from "./loops/planApplier.js";
import { PoolReconciler } from "./loops/poolReconciler.js";
import { SchedulingLoop } from "./loops/schedulingLoop.js";
import { SpotEvictions } from "./loops/spotEvictions.js";
import { registerAgentRoutes } from "./nodes/agentEndpoint.js";
import { AgentFiles } from "./nodes/agentFiles.js";
import { AgentSync } from "./nodes/agentSync.js";
import { AgentTokens } from "./nodes/agentTokens.js";
import { PoolNotifier } from "./nodes/notifier.js";
import type { ComputeProvider } from "./providers/computeProvider.js";
import { createExternalProvider } from "./providers/external/externalProvider.js";
import { ProviderSet } from "./providers/providerSet.js";
import { createSlurmProvider, slurmServerTag } from "./providers/slurm/slurmProvider.js";
import { slurmCommands } from "./providers/slurm/slurmCommands.js";
import { AgentJoin, checkJoinable } from "./nodes/agentJoin.js";
import { FileChannel } from "./nodes/fileChannel.js";
import { JoinTokens } from "./nodes/joinTokens.js";
import { registerRemoteEndpoints } from "./nodes/remoteEndpoints.js";
import type { AgentRecord } from "./records/agents.js";
import { checkResourceFiles } from "./services/taskFileSpecs.js";
import { checkPoolSpec } from "./services/specRules.js";
import { checkContainerSettings, type ContainerPolicy } from "./services/containerRules.js";
import { checkPoolConfiguration } from "./services/poolConfigurationRules.js";
import { createLocalProvider } from "./providers/local/localProvider.js";
import type { PoolCapabilityCheck } from "./records/poolRules.js";
import { AccountService } from "./services/accountService.js";
import { ApplicationService } from "./services/applicationService.js";
import { CertificateService } from "./services/certificateService.js";
import { JobService } from "./services/jobService.js";
import { JobScheduleService } from "./services/jobScheduleService.js";
import { NodeFileService } from "./services/nodeFileService.js";
import { NodeService, NodeUsers } from "./services/nodeService.js";
import { PoolService } from "./services/poolService.js";
import { TaskControl, TaskService } from "./services/taskService.js";
import { ServiceLogService } from "./services/serviceLogService.js";
import { UsageMetricsService } from "./services/usageMetricsService.js";
import { StatisticsService } from "./services/statisticsService.js";
import { createAutoStorage } from "./storage/autoStorage.js";
import { secureDataDirectory, secureSecretFiles } from "./security/dataDirectory.js";
import { taskIsolationStatus, type TaskIsolationStatus } from "./security/taskIsolation.js";

export interface Services {
  readonly accounts: AccountService;
  readonly applications: ApplicationService;
  readonly certificates: CertificateService;
  readonly pools: PoolService;
  readonly autoscale: AutoscaleService;
  readonly jobs: JobService;
  readonly jobSchedules: JobScheduleService;
  readonly tasks: TaskService;
  readonly taskControl: TaskControl;
  readonly nodes: NodeService;
  readonly nodeFiles: NodeFileService;
  readonly nodeUsers: NodeUsers;
  readonly usageMetrics: UsageMetricsService;
  readonly serviceLogs: ServiceLogService;
  readonly statistics: StatisticsService;
}

export interface OpenBatchServer {
  /** `http://host:port` */
  readonly url: string;
  readonly config: ResolvedServerConfig;
  /** How the local agents isolate tasks, as probed at start-up (also in /healthz). */
  readonly taskIsolation: TaskIsolationStatus;
  readonly services: Services;
  /** The operations this server implements. */
  readonly implementedOperations: ReadonlySet<string>;
  /** What /healthz shows of the server core; tests fail when either count is not zero. */
  health(): ServerHealth;
  close(): Promise<void>;
}

export interface ServerHealth {
  /** Task placements the scheduling loop's safety net made because no wake-up announced them (loops/schedulingLoop.ts). */
  readonly missedWakeUps: number;
  /** State changes the transition tables do not allow, met since start (lifecycle/transitions.ts). */
  readonly illegalTransitions: number;
}

export function createHandlerTable(services: Services): HandlerTable {
  return {
    ...accountHandlers(services.accounts),
    ...applicationHandlers(services.applications),
    ...certificateHandlers(services.certificates),
    ...poolHandlers(services.pools, services.autoscale, services.statistics),
    ...autoscaleHandlers(services.pools, services.autoscale),
    ...jobHandlers(services.jobs, services.statistics),
    ...jobScheduleHandlers(services.jobSchedules, services.statistics),
    ...taskHandlers(services.tasks, services.taskControl),
    ...computeNodeHandlers(services.nodes, services.nodeUsers),
    ...computeNodeExtensionHandlers(services.pools, services.nodes),
    ...fileHandlers(services.nodeFiles, services.tasks),
    ...poolUsageMetricsHandlers(services.usageMetrics),
    ...serviceLogHandlers(services.serviceLogs),
  };
}

export async function startServer(options: ServerOptions = {}): Promise<OpenBatchServer> {
  const config = resolveServerConfig(options);
  secureDataDirectory(config.dataDir);
  const dataDirLock = acquireDataDirLock(config.dataDir);
  const events = new EventHub({ bufferSize: config.eventBufferSize });
  let app: ReturnType<typeof createApp> | undefined;
  // What each committed effect does, in one place (effects/effects.ts); the parts it names are made below, before
  // anything is written.
  const handleEffect = (effect: Effect): void => {
    switch (effect.kind) {
      case "wakeScheduler":
        return scheduling.wake(effect.account);
      case "notifyPool":
        return notifier.notify(effect.account, effect.poolId);
      case "reconcilePool":
        // A pool's nodes changed: Spot nodes that appeared or recovered get their eviction time too.
        spotEvictions?.kick(effect.account);
        return void reconciler.kick(effect.account, effect.poolId);
      case "kickScheduleRunner":
        return scheduleRunner.kick(effect.account);
      case "kickDeadlines":
        return deadlines.kick(effect.account);
      case "illegalTransition":
        app?.log.error({ account: effect.account, entity: effect.entity, id: effect.id, problem: effect.problem }, "illegal state transition written");
        return;
      default:
        assertNever(effect);
    }
  };
  let opened: Awaited<ReturnType<typeof openStore>>;
  try {
    opened = await openStore(config.store, {
      now: config.clock.now(),
      durableWrites: config.durableWrites,
      onEffectError: (error) => app?.log.error({ err: error }, "after-commit effect failed"),
    });
  } catch (error) {
    dataDirLock.release();
    throw error;
  }
  // Every committed write reaches the event stream and the commit-time histogram (events/observedStore.ts) first,
  // then its effects (effects/transaction.ts: outermost, so bodies see the transaction it gives them).
  const observed = observeStore(opened, {
    committed: (changes) => events.publish(changes),
    committedIn: (seconds) => metrics.observeCommit(seconds),
  });
  const store = new EffectStore(observed, { handle: handleEffect, strictTransitions: config.strictTransitions });
  const metrics = new ServerMetrics({
    store,
    accounts: config.accounts.map((account) => account.name),
    connectedAgents: () => heartbeats.connectedAgents(),
    eventSubscribers: () => events.subscriberCount,
  });
  let url = "";
  const accountUrl = () => config.publicUrl ?? url;
  const notifier = new PoolNotifier();
  const autoStorage = config.autoStorage === undefined ? undefined : createAutoStorage(config.autoStorage);
  const tokens = AgentTokens.load(config.dataDir);
  const taskTokens = TaskTokens.load(config.dataDir);
  secureSecretFiles(config.dataDir);
  const channel = new FileChannel();
  const accountNames = config.accounts.map((account) => account.name);
  const agentServerUrl = () => config.publicUrl ?? url;
  const providerList: ComputeProvider[] = [
    createLocalProvider({
      agentEntry: config.localAgentEntry,
      dataDir: config.dataDir,
      serverUrl: () => url,
      nodesPerAgent: config.nodesPerAgent,
      taskIsolation: config.taskIsolation,
      ...(config.tls === undefined ? {} : { serverCertificateFile: config.tls.certFile }),
    }),
    createExternalProvider(),
  ];
  const slurmAgentCommand = config.slurm.agentCommand;
  const slurm =
    slurmAgentCommand === undefined
      ? undefined
      : createSlurmProvider({
          store,
          clock: config.clock,
          commands: slurmCommands({ ...process.env, ...config.slurm.environment }),
          accounts: () => accountNames,
          settings: config.slurm,
          agentCommand: slurmAgentCommand,
          workDirectory: config.slurm.workDir ?? join(config.dataDir, "slurm"),
          serverUrl: () => config.slurm.serverUrl ?? agentServerUrl(),
          ...(config.slurm.caFile === undefined ? {} : { caFile: config.slurm.caFile }),
          ...(config.slurm.pilotEnvironment === undefined ? {} : { pilotEnvironment: config.slurm.pilotEnvironment }),
          serverTag: slurmServerTag(config.dataDir),
          ...(config.slurm.pollIntervalInMs === undefined ? {} : { pollIntervalInMs: config.slurm.pollIntervalInMs }),
          onPoolChanged: (account, poolId) => void reconciler.kick(account, poolId),
          log: (level, message, fields) => app?.log[level](fields, message),
        });
  if (slurm !== undefined) providerList.push(slurm);
  const providers = new ProviderSet(providerList, config.provider);
  const isolation = await taskIsolationStatus(config);
  const { containerRuntime: _runtime, ...isolationDetails } = isolation;
  const heartbeats = new HeartbeatTracker({
    store,
    clock: config.clock,
    timeoutInMs: config.nodeHeartbeatTimeoutInSeconds * 1000,
    onAgentLost: (identity) =>
      void (async () => {
        const found = await store.read(async (tx) => {
          const agent = await tx.get<AgentRecord>({ account: identity.account, kind: "agent", scope: identity.poolId, id: identity.agentId });
          const pool = await tx.get<CloudPool>({ account: identity.account, kind: "pool", scope: "", id: identity.poolId });
          return agent === undefined || pool === undefined ? undefined : { agent: agent.body, pool: pool.body };
        });
        if (found === undefined) return;
        const provider = providers.of(found.agent.provider ?? "local");
        if ((await provider.isAgentGone(identity)) !== true) return;
        app?.log.warn({ ...identity }, "agent process gone; starting it again");
        heartbeats.seen(identity, config.clock.now());
        await provider.startAgent({ ...identity, token: tokens.issue(identity), pool: found.pool });
      })().catch((error: unknown) => app?.log.error({ err: error, ...identity }, "restarting a lost agent failed")),
    abandonAfterInMs: config.unknownNodeTimeoutInSeconds * 1000,
    onAgentAbandoned: async (identity) => {
      const released = await store.write((tx) => releaseUnresponsiveNodes(tx, identity, config.clock.now()));
      if (released > 0) app?.log.warn({ ...identity, nodes: released }, "nodes unknown for too long: their runs were given up as lost");
    },
    onError: (error) => app?.log.error({ err: error }, "heartbeat check failed"),
  });
  const reconciler = new PoolReconciler({
    store,
    providers,
    tokens,
    clock: config.clock,
    quotas: config.quotas,
    nodeUrl: (_account, poolId, nodeId) => `${accountUrl()}/pools/${encodeURIComponent(poolId)}/nodes/${encodeURIComponent(nodeId)}`,
    onError: (error, context) => app?.log.error({ err: error, ...context }, "pool reconcile failed"),
    onAgentRegistered: (launch) => heartbeats.seen(launch, config.clock.now()),
  });
  const scheduling: SchedulingLoop = new SchedulingLoop({
    store,
    clock: config.clock,
    safetyNetInMs: config.schedulingSafetyNetInSeconds * 1000,
    lookAheadPerSlot: config.dispatchLookAhead,
    applier: new PlanApplier({
      store,
      now: () => config.clock.now(),
      issueTaskToken: (account, jobId, now) => taskTokens.issue(account, jobId, now),
      lookAheadPerSlot: config.dispatchLookAhead,
    }),
    onError: (error, account) => app?.log.error({ err: error, account }, "scheduling round failed"),
    onMissedWakeUp: (account, placed) => app?.log.warn({ account, placed }, "the scheduling safety net placed work no wake-up announced"),
    onRound: metrics.observeSchedulingRound,
  });
  const deadlines: Deadlines = new Deadlines({
    store,
    clock: config.clock,
    sweepInMs: config.retentionSweepInMs,
    removeNodeDirectory: (account, poolId, nodeId, directory) =>
      services.nodeFiles.delete({ account, poolId, nodeId }, directory, true).catch((error: unknown) => {
        // A node that left took the files with it; anything else is worth a line in the log.
        if ((error as { code?: string }).code !== "NodeNotFound") app?.log.warn({ err: error, account, poolId, nodeId }, "task directory removal failed");
      }),
    onError: (error, account) => app?.log.error({ err: error, account }, "deadline pass failed"),
  });
  const spotEvictions =
    config.spotEvictionRatePerHour > 0
      ? new SpotEvictions({
          store,
          clock: config.clock,
          ratePerHour: config.spotEvictionRatePerHour,
          recoveryInMs: config.spotRecoveryInSeconds * 1000,
          onError: (error, account) => app?.log.error({ err: error, account }, "spot eviction pass failed"),
        })
      : undefined;
  const fileRules = { autoStorageConfigured: autoStorage !== undefined };
  const containerPolicy: ContainerPolicy = { unrestrictedAccounts: config.unrestrictedContainerAccounts };
  const runtime = isolation.containerRuntime;
  const containerRuntime = "reason" in runtime ? { available: false, reason: runtime.reason } : { available: true };
  const poolCapabilities: PoolCapabilityCheck = (pool, account) => {
    checkPoolSpec(pool);
    checkPoolConfiguration(pool, { subscriptionId: config.subscriptionId });
    providers.checkPool(pool, containerRuntime);
    checkContainerSettings(pool.startTask?.containerSettings, "startTask.containerSettings", account, containerPolicy);
    checkResourceFiles(pool.startTask?.resourceFiles, "startTask.resourceFiles", fileRules);
  };
  const scheduleRunner = new JobScheduleRunner({
    store,
    clock: config.clock,
    poolCapabilities,
    quotas: config.quotas,
    onError: (error, account) => app?.log.error({ err: error, account }, "job schedule pass failed"),
  });
  const pools = new PoolService(store, poolCapabilities, config.quotas);
  const nodes = new NodeService(store, pools);
  const agentFiles = new AgentFiles(channel);
  const services: Services = {
    accounts: new AccountService(store),
    applications: new ApplicationService(store),
    certificates: new CertificateService(store),
    pools,
    autoscale: new AutoscaleService(store, pools),
    jobs: new JobService(store, { fileRules, poolCapabilities, containerPolicy, quotas: config.quotas }),
    jobSchedules: new JobScheduleService(store, containerPolicy, config.quotas),
    tasks: new TaskService(store, fileRules, containerPolicy),
    taskControl: new TaskControl(store),
    nodes,
    nodeFiles: new NodeFileService(store, nodes, agentFiles),
    nodeUsers: new NodeUsers(nodes),
    usageMetrics: new UsageMetricsService(store),
    serviceLogs: new ServiceLogService(pools, nodes, { agentLogDirectory: join(config.dataDir, "agents"), agentFiles }),
    statistics: new StatisticsService(store),
  };
  const handlers = createHandlerTable(services);
  let ready = false;
  const health = (): ServerHealth => ({ missedWakeUps: scheduling.missedWakeUps, illegalTransitions: store.illegalTransitions });
  const accountRegistry = new AccountRegistry(config.accounts);
  const authenticator = createAuthenticator({
    accounts: accountRegistry,
    bearer: config.bearerToken === undefined ? undefined : await createBearerTokenVerifier(config.bearerToken),
    taskTokens,
    clockSkewInSeconds: config.clockSkewInSeconds,
  });
  app = createApp({ config, handlers, isReady: () => ready, authenticator, healthDetails: () => ({ taskIsolation: isolationDetails, containerRuntime: isolation.containerRuntime, ...health() }) });
  if (isolation.warning !== undefined) app.log.warn({ taskIsolation: isolation.mode }, isolation.warning);
  registerEventsRoute(app, { config, authenticator, hub: events });
  registerMetricsRoute(app, metrics, config.metricsToken);
  registerDashboardRoute(app, config);
  const packageFiles = new PackageFiles({
    dataDir: config.dataDir,
    maxPackageBytes: config.maxApplicationPackageBytes,
    maxUncompressedBytes: config.maxApplicationPackageExpandedBytes,
    maxEntries: 100_000,
  });
  registerStatusPage(app, { config, isReady: () => ready, links: [{ href: "/ui/", label: "dashboard" }, { href: "/metrics", label: "metrics (Prometheus)" }] });
  registerAdminRoutes(app, { config, authenticator, applications: services.applications, packageFiles });
  registerAgentPackageRoute(app, tokens, packageFiles);
  const agentSync = new AgentSync({
    store,
    notifier,
    clock: config.clock,
    accountUrl,
    ...(autoStorage === undefined ? {} : { resolveResourceFiles: (files, now) => autoStorage.resolveResourceFiles(files, now) }),
    heartbeatIntervalInMs: config.agentHeartbeatIntervalInSeconds * 1000,
    // Three quarters of the time after which the agent's nodes are given up (their waiting runs go elsewhere).
    dispatchLeaseInMs: Math.max(1, Math.floor(config.nodeHeartbeatTimeoutInSeconds * 750)),
    nodeOsUsers: config.nodeOsUsers,
    unrestrictedContainerAccounts: config.unrestrictedContainerAccounts,
    onHeartbeat: (identity, now) => heartbeats.seen(identity, now),
    onRetired: (identity) => {
      heartbeats.forget(identity);
      channel.forgetAgent(identity);
      providers.agentRetired(identity);
    },
  });
  registerAgentRoutes(app, tokens, agentSync);
  const joinTokens = new JoinTokens(store, accountRegistry, (pool) => checkJoinable(providers, pool));
  registerRemoteEndpoints(app, {
    config,
    authenticator,
    tokens,
    joinTokens,
    channel,
    join: new AgentJoin({ store, tokens, joinTokens, providers, reconcile: (account, poolId) => reconciler.kick(account, poolId), clock: config.clock, onJoined: (identity) => heartbeats.seen(identity, config.clock.now()) }),
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await store.close();
    dataDirLock.release();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  url = `${config.tls === undefined ? "http" : "https"}://${host}:${address.port}`;
  dataDirLock.setUrl(url);
  await heartbeats.start(accountNames);
  await reconciler.reconcileAll(accountNames);
  scheduling.start(accountNames);
  scheduleRunner.start(accountNames);
  deadlines.start(accountNames);
  slurm?.start();
  spotEvictions?.start(accountNames);
  const autoscaleLoop = new AutoscaleLoop({
    store,
    clock: config.clock,
    accounts: accountNames,
    tickInMs: config.autoscaleTickInMs,
    onError: (error, context) => app?.log.error({ err: error, ...context }, "autoscale pass failed"),
  });
  autoscaleLoop.start();
  ready = true;
  let closing: Promise<void> | undefined;
  const server = app;
  return {
    url,
    config,
    taskIsolation: isolation,
    services,
    implementedOperations: implementedOperations(handlers),
    health,
    close() {
      closing ??= (async () => {
        ready = false;
        notifier.close();
        channel.close();
        heartbeats.close();
        reconciler.close();
        await autoscaleLoop.close();
        await server.close();
        await scheduleRunner.close();
        await deadlines.close();
        await spotEvictions?.close();
        await scheduling.close();
        await reconciler.idle();
        await providers.close();
        await store.close();
        dataDirLock.release();
      })();
      return closing;
    },
  };
}
