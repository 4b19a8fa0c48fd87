/**
 * The web dashboard (packages/dashboard) as static files under `/ui/`, outside the Batch pipeline: the app is a
 * client of the Batch API like any other and signs its own requests. `/ui/config.json` tells it what it cannot
 * know on its own: the development account's published key, only when this server serves that account (which it
 * does on loopback only), so that the dashboard signs in without typing.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import type { ResolvedServerConfig } from "../config.js";

/** The built dashboard of the workspace, if it has been built. */
export function defaultDashboardDir(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve("@openbatch/dashboard/package.json");
    const dist = join(dirname(manifest), "dist");
    return existsSync(join(dist, "index.html")) ? dist : undefined;
  } catch {
    return undefined;
  }
}

export function registerDashboardRoute(app: FastifyInstance, config: ResolvedServerConfig): void {
  const root = config.dashboardDir ?? defaultDashboardDir();
  app.get("/ui", async (_request, reply) => reply.redirect("/ui/", 301));
  app.get("/ui/config.json", async (_request, reply) => {
    const account = config.usingDevelopmentAccount ? config.accounts[0] : undefined;
    return reply
      .header("cache-control", "no-store")
      .send({ developmentAccount: account === undefined ? null : { name: account.name, key: account.key }, eventsPath: "/_events" });
  });
  if (root === undefined) {
    app.get("/ui/", async (_request, reply) =>
      reply.code(404).type("text/plain").send("The dashboard is not built: run `npm run build` (packages/dashboard)."),
    );
    return;
  }
  void app.register(fastifyStatic, {
    root,
    prefix: "/ui/",
    // Hashed asset names never change; index.html must be re-read to find new ones.
    setHeaders: (response, path) => {
      response.setHeader("cache-control", path.endsWith(".html") ? "no-cache" : "public, max-age=31536000, immutable");
    },
  });
}
