/**
 * The composition root: the one place that picks concrete parts (SQLite store, clock, authenticators, compute
 * provider), wires the services and handlers into the HTTP pipeline, and owns their lifetimes.
 *
 * Lifecycle: `startServer` resolves once the store is migrated and the port is listening (then /healthz answers
 * 200) and the pool reconciler has caught up with every pool; `close()` releases long-polling agents, stops
 * accepting requests, lets in-flight ones finish, then closes the store. Local agents are detached and outlive it.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { assertNever } from "@openbatch/core";
import { openStore, PostgresStore, type Store } from "@openbatch/store";
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
import { acquireDataDirLock, acquireReplicaLock } from "./dataDirLock.js";
import { Replica } from "./cluster/replica.js";
import { sharedSecrets, type SharedSecrets } from "./cluster/sharedState.js";
import { BackgroundWork } from "./loops/backgroundWork.js";
import { registerDashboardRoute } from "./http/dashboardRoute.js";
import { EventHub } from "./events/eventHub.js";
import { registerEventsRoute } from "./events/eventsRoute.js";
import { observeStore } from "./events/observedStore.js";
import { registerMetricsRoute } from "./metrics/metricsRoute.js";
import { ServerMetrics } from "./metrics/serverMetrics.js";
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
  // A SQLite store is this process's alone: one server per data directory, checked before the database opens.
  // Replicas on a PostgreSQL store take their lock once they know their deployment (below).
  let dataDirLock = config.store.backend === "postgres" ? undefined : acquireDataDirLock(config.dataDir);
  const events = new EventHub({ bufferSize: config.eventBufferSize });
  const notifier = new PoolNotifier();
  let app: ReturnType<typeof createApp> | undefined;
  /** With a PostgreSQL store: this process as a replica of the deployment (cluster/replica.ts). */
  let replica: Replica | undefined;
  /** Without: the background work of every account, run here. */
  let work: BackgroundWork | undefined;
  const workFor = (account: string) => (replica === undefined ? work : replica.workOf(account));
  // What each committed effect does, in one place (effects/effects.ts); the parts it names are made below, before
  // anything is written. Background work is the single server's, or with replicas the account's leader's.
  const handleEffect = (effect: Effect): void => {
    switch (effect.kind) {
      case "notifyPool":
        return notifier.notify(effect.account, effect.poolId);
      case "wakeScheduler":
      case "reconcilePool":
      case "kickScheduleRunner":
      case "kickDeadlines":
        return workFor(effect.account)?.handle(effect);
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
    dataDirLock?.release();
    throw error;
  }
  let secrets: SharedSecrets | undefined;
  if (opened instanceof PostgresStore) {
    try {
      replica = await Replica.start({ store: opened, id: randomBytes(6).toString("hex"), host: hostname(), events, notifier, publicUrl: config.publicUrl, log: () => app?.log });
      secrets = await sharedSecrets(opened.sharedData(), config.dataDir);
      dataDirLock = acquireReplicaLock(config.dataDir, secrets.deployment);
    } catch (error) {
      await replica?.close();
      await opened.close();
      throw error;
    }
  }
  const lock = dataDirLock as NonNullable<typeof dataDirLock>;
  // Every committed write reaches the event stream and the commit-time histogram (events/observedStore.ts) first,
  // then its effects (effects/transaction.ts: outermost, so bodies see the transaction it gives them). Replicas
  // send both to every replica inside the transaction, and feed their event stream from what arrives.
  const observed = observeStore(opened, {
    ...(replica === undefined ? { committed: (changes) => events.publish(changes) } : { inTransaction: replica.inTransaction }),
    committedIn: (seconds) => metrics.observeCommit(seconds),
  });
  const store = new EffectStore(observed, {
    handle: handleEffect,
    strictTransitions: config.strictTransitions,
    ...(replica === undefined ? {} : { onRecord: replica.onRecord }),
  });
  const metrics = new ServerMetrics({
    store,
    accounts: config.accounts.map((account) => account.name),
    connectedAgents: () => (replica === undefined ? (work?.connectedAgents() ?? 0) : replica.connectedAgents()),
    eventSubscribers: () => events.subscriberCount,
  });
  let url = "";
  const accountUrl = () => config.publicUrl ?? url;
  const autoStorage = config.autoStorage === undefined ? undefined : createAutoStorage(config.autoStorage);
  const tokens = secrets?.agentTokens ?? AgentTokens.load(config.dataDir);
  const taskTokens = secrets?.taskTokens ?? TaskTokens.load(config.dataDir);
  secureSecretFiles(config.dataDir);
  const channel = new FileChannel();
  const accountNames = config.accounts.map((account) => account.name);
  const agentServerUrl = () => config.publicUrl ?? url;
  const providerList: ComputeProvider[] = [
    createLocalProvider({
      agentEntry: config.localAgentEntry,
      dataDir: config.dataDir,
      // Replicas start agents with every live replica's URL, to fail over between.
      serverUrl: () => (replica === undefined ? url : replica.agentUrls().join(",")),
      nodesPerAgent: config.nodesPerAgent,
      taskIsolation: config.taskIsolation,
      ...(config.tls === undefined ? {} : { serverCertificateFile: config.tls.certFile }),
    }),
    createExternalProvider(),
  ];
  /** Runs the pool reconciler of a pool now: here if this process runs the account's work, else where it runs. */
  const reconcile = async (account: string, poolId: string): Promise<void> => {
    const work = workFor(account);
    if (work !== undefined) return work.reconcile(account, poolId);
    await replica?.send({ kind: "reconcilePool", account, poolId });
  };
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
          onPoolChanged: (account, poolId) => void reconcile(account, poolId).catch((error: unknown) => app?.log.error({ err: error, account, poolId }, "pool reconcile failed")),
          log: (level, message, fields) => app?.log[level](fields, message),
        });
  if (slurm !== undefined) providerList.push(slurm);
  const providers = new ProviderSet(providerList, config.provider);
  const isolation = await taskIsolationStatus(config);
  const { containerRuntime: _runtime, ...isolationDetails } = isolation;
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
  const makeWork = (accounts: readonly string[], workStore: Store) =>
    new BackgroundWork({
      accounts,
      store: workStore,
      config,
      providers,
      tokens,
      issueTaskToken: (account, jobId, now) => taskTokens.issue(account, jobId, now),
      nodeUrl: (_account, poolId, nodeId) => `${accountUrl()}/pools/${encodeURIComponent(poolId)}/nodes/${encodeURIComponent(nodeId)}`,
      removeNodeDirectory: (account, poolId, nodeId, directory) =>
        services.nodeFiles.delete({ account, poolId, nodeId }, directory, true).catch((error: unknown) => {
          // A node that left took the files with it; anything else is worth a line in the log.
          if ((error as { code?: string }).code !== "NodeNotFound") app?.log.warn({ err: error, account, poolId, nodeId }, "task directory removal failed");
        }),
      poolCapabilities,
      log: () => app?.log,
      isExpected: Replica.isExpected,
      onSchedulingRound: metrics.observeSchedulingRound,
      ...(replica === undefined ? {} : { settleWakeUps: () => (replica as Replica).barrier() }),
    });
  const handlers = createHandlerTable(services);
  let ready = false;
  const health = (): ServerHealth => ({ missedWakeUps: replica === undefined ? (work?.missedWakeUps ?? 0) : replica.missedWakeUps(), illegalTransitions: store.illegalTransitions });
  const accountRegistry = new AccountRegistry(config.accounts);
  const authenticator = createAuthenticator({
    accounts: accountRegistry,
    bearer: config.bearerToken === undefined ? undefined : await createBearerTokenVerifier(config.bearerToken),
    taskTokens,
    clockSkewInSeconds: config.clockSkewInSeconds,
  });
  app = createApp({
    config,
    handlers,
    isReady: () => ready,
    authenticator,
    healthDetails: () => ({
      taskIsolation: isolationDetails,
      containerRuntime: isolation.containerRuntime,
      ...health(),
      ...(replica === undefined ? {} : { replica: replica.health() }),
    }),
  });
  if (isolation.warning !== undefined) app.log.warn({ taskIsolation: isolation.mode }, isolation.warning);
  registerEventsRoute(app, { config, authenticator, hub: events });
  registerMetricsRoute(app, metrics, config.metricsToken);
  registerDashboardRoute(app, config);
  const packageFiles = new PackageFiles({
    dataDir: config.dataDir,
    maxPackageBytes: config.maxApplicationPackageBytes,
    maxUncompressedBytes: config.maxApplicationPackageExpandedBytes,
    maxEntries: 100_000,
    ...(opened instanceof PostgresStore ? { shared: opened.sharedData() } : {}),
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
    onHeartbeat: (identity, now) => {
      metrics.agentExchanges.inc();
      workFor(identity.account)?.seen(identity, now);
    },
    onRetired: (identity) => {
      workFor(identity.account)?.forget(identity);
      channel.forgetAgent(identity);
      providers.agentRetired(identity);
    },
    ...(replica === undefined ? {} : { serverUrls: () => (replica as Replica).serverUrls() }),
  });
  registerAgentRoutes(app, tokens, agentSync);
  const joinTokens = new JoinTokens(store, accountRegistry, (pool) => checkJoinable(providers, pool));
  registerRemoteEndpoints(app, {
    config,
    authenticator,
    tokens,
    joinTokens,
    channel,
    join: new AgentJoin({ store, tokens, joinTokens, providers, reconcile, clock: config.clock, onJoined: (identity) => workFor(identity.account)?.seen(identity, config.clock.now()) }),
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await replica?.close();
    await store.close();
    lock.release();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  url = `${config.tls === undefined ? "http" : "https"}://${host}:${address.port}`;
  lock.setUrl(url);
  if (replica === undefined) {
    work = makeWork(accountNames, store);
    await work.start();
  } else {
    replica.setUrl(url);
    // Package zips uploaded before this deployment had replicas, for the others to serve too.
    for (const account of accountNames) await packageFiles.publishLocal(account);
    await replica.elect({ store, accounts: accountNames, clock: config.clock, makeWork: (account, workStore) => makeWork([account], workStore) });
  }
  slurm?.start();
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
        await server.close();
        // Then background work (a replica hands its accounts to the others at once), once no request can wake it.
        await work?.close();
        await replica?.close();
        await providers.close();
        await store.close();
        lock.release();
      })();
      return closing;
    },
  };
}
