/**
 * The composition root: the one place that picks concrete parts (SQLite store, clock, authenticators), wires the
 * services and handlers into the HTTP pipeline, and owns their lifetimes.
 *
 * Lifecycle: `startServer` resolves once the store is migrated and the port is listening (then /healthz answers
 * 200); `close()` stops accepting requests, lets in-flight ones finish, then closes the store.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { SqliteStore, type Store } from "@openbatch/store";
import { AccountRegistry } from "./accounts.js";
import { createAuthenticator } from "./auth/authenticate.js";
import { createBearerTokenVerifier } from "./auth/bearerToken.js";
import { resolveServerConfig, type ResolvedServerConfig, type ServerOptions } from "./config.js";
import { accountHandlers } from "./handlers/account.js";
import { applicationHandlers } from "./handlers/application.js";
import { poolHandlers } from "./handlers/pool.js";
import { createApp, type HandlerTable } from "./http/app.js";
import { AccountService } from "./services/accountService.js";
import { ApplicationService } from "./services/applicationService.js";
import { PoolService } from "./services/poolService.js";

export interface Services {
  readonly accounts: AccountService;
  readonly applications: ApplicationService;
  readonly pools: PoolService;
}

export interface OpenBatchServer {
  /** `http://host:port` */
  readonly url: string;
  readonly config: ResolvedServerConfig;
  readonly services: Services;
  /** The operations this server implements. */
  readonly implementedOperations: ReadonlySet<string>;
  close(): Promise<void>;
}

export function createHandlerTable(services: Services): HandlerTable {
  return {
    ...accountHandlers(services.accounts),
    ...applicationHandlers(services.applications),
    ...poolHandlers(services.pools),
  };
}

export async function startServer(options: ServerOptions = {}): Promise<OpenBatchServer> {
  const config = resolveServerConfig(options);
  mkdirSync(config.dataDir, { recursive: true });
  const store: Store = new SqliteStore({ filename: join(config.dataDir, "openbatch.db"), now: config.clock.now() });
  const services: Services = {
    accounts: new AccountService(store),
    applications: new ApplicationService(store),
    pools: new PoolService(store),
  };
  const handlers = createHandlerTable(services);
  let ready = false;
  const app = createApp({
    config,
    handlers,
    isReady: () => ready,
    authenticator: createAuthenticator({
      accounts: new AccountRegistry(config.accounts),
      bearer: config.bearerToken === undefined ? undefined : await createBearerTokenVerifier(config.bearerToken),
      clockSkewInSeconds: config.clockSkewInSeconds,
    }),
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await store.close();
    throw error;
  }
  ready = true;
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    config,
    services,
    implementedOperations: new Set(Object.keys(handlers)),
    close() {
      closing ??= (async () => {
        ready = false;
        await app.close();
        await store.close();
      })();
      return closing;
    },
  };
}
