/**
 * Joining a pool with a join token (`POST /_agent/v1/join`, protocol agentRemote.ts): the server answers with the
 * agent's own id and credential. A server that cannot be reached or answers 5xx is tried again with back-off (the
 * agent may start before the server); a refusal (401, 403, 404, 409) is final and its message says why. Given
 * several servers (replicas of one deployment), each failure moves on to the next one.
 */
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { AgentJoinResponse, agentJoinPath, agentProtocolVersion, validateBody } from "@openbatch/protocol";
import type { Logger } from "../log.js";
import { Backoff, type BackoffOptions } from "../session/backoff.js";

/** OpenSSL's and Node's codes for a server certificate that does not verify. */
const certificateErrors = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

export class JoinRefused extends Error {
  override readonly name = "JoinRefused";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface JoinOptions {
  /** One server's URL or several (replicas), tried in turn. */
  readonly serverUrls: readonly string[];
  readonly fetch: typeof globalThis.fetch;
  readonly joinToken: string;
  readonly nodes: number;
  readonly agentVersion: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly backoff?: BackoffOptions;
}

export async function joinPool(options: JoinOptions): Promise<AgentJoinResponse> {
  const backoff = new Backoff(options.backoff ?? { initialInMs: 500, maxInMs: 10_000 });
  for (let attempt = 0; ; attempt++) {
    const server = options.serverUrls[attempt % options.serverUrls.length] as string;
    const url = `${server.replace(/\/+$/, "")}${agentJoinPath}`;
    let failure: string;
    try {
      const response = await options.fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${options.joinToken}`, "content-type": "application/json" },
        body: JSON.stringify({ protocolVersion: agentProtocolVersion, nodes: options.nodes, hostname: hostname().slice(0, 255), agentVersion: options.agentVersion }),
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(60_000)]),
      });
      const text = await response.text();
      if (response.ok) return validateBody<AgentJoinResponse>(AgentJoinResponse, JSON.parse(text));
      let code = `HTTP${response.status}`;
      let message = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { code?: unknown; message?: unknown };
        if (typeof body.code === "string") code = body.code;
        if (typeof body.message === "string") message = body.message;
      } catch {
        // not JSON: quote the start of the text
      }
      if (response.status < 500) throw new JoinRefused(response.status, code, message);
      failure = `the server answered HTTP ${response.status}: ${message}`;
    } catch (error) {
      if (error instanceof JoinRefused || options.signal.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      // A certificate this agent cannot verify does not get better by trying again: say so and stop.
      if (cause?.code !== undefined && certificateErrors.test(cause.code)) {
        throw new JoinRefused(0, cause.code, `the server's TLS certificate cannot be verified (${cause.code}: ${cause.message ?? ""}); give the CA that signed it with --ca-file`);
      }
      failure = `the server cannot be reached: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
    }
    const delay = backoff.next();
    if (backoff.count <= 3 || backoff.count % 20 === 0) options.logger.log("warn", "joining the pool failed; retrying", { failures: backoff.count, retryInMs: delay, server, error: failure });
    await sleep(delay, undefined, { signal: options.signal });
  }
}
