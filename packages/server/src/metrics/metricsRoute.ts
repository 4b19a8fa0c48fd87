/**
 * `GET /metrics`: the Prometheus text exposition of the server's metrics (serverMetrics.ts), outside the Batch
 * pipeline. With `metricsToken` configured it needs `Authorization: Bearer <token>` (compared in constant time);
 * without, it is open like /healthz — the server binds to loopback unless told otherwise.
 * Every Batch API request is counted here too, from its route's operation id and its status.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ServerMetrics } from "./serverMetrics.js";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

export function registerMetricsRoute(app: FastifyInstance, metrics: ServerMetrics, token: string | undefined): void {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  app.addHook("onResponse", async (request, reply) => {
    const state = request.batch;
    if (state === undefined) return;
    const labels = { operation: state.route?.operation.operationId ?? "unrouted", status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
  });
  app.get("/metrics", async (request, reply) => {
    if (expected !== undefined) {
      const given = request.headers.authorization;
      // Hashing first gives equal lengths, so the comparison's time says nothing about the token.
      if (typeof given !== "string" || !timingSafeEqual(digest(given), expected)) {
        return reply.code(401).header("www-authenticate", 'Bearer realm="openbatch-metrics"').send({ code: "AuthenticationFailed", message: "A valid metrics bearer token is required." });
      }
    }
    const text = await metrics.registry.metrics();
    return reply.code(200).header("content-type", metrics.registry.contentType).send(text);
  });
}
