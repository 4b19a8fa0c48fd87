/**
 * `openbatch pool join-token <pool>`: makes, lists and revokes the join tokens with which agents on other machines
 * join a pool of the `external` provider (`openbatch agent --join-token T`, docs/deployment.md). Tokens are made by
 * the server's admin endpoint (`/_admin/v1/pools/{pool}/join-tokens`, SharedKey-signed), so only a holder of the
 * account's key can make one:
 *
 *   openbatch pool join-token <pool> [--lifetime 7d]   the token alone on stdout (for `T=$(…)`), its id on stderr;
 *                                                        with --output, the token's record and the token
 *   openbatch pool join-token <pool> --list             the pool's tokens (id, expiry, revoked), never their secret
 *   openbatch pool join-token <pool> --revoke <id>      no new agent can join with it
 *
 * The connection is the command's usual one (flags, profile, OPENBATCH_* / AZURE_BATCH_*, local server).
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { BatchSharedKeyCredential } from "@openbatch/client";
import type { Connection } from "./framework/connection.js";
import { UsageError } from "./framework/errors.js";
import { flags } from "./framework/body.js";
import { leaf } from "./framework/leaf.js";

/** `90`, `90s`, `30m`, `12h`, `7d` → seconds. */
export function parseLifetime(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError("must be a duration such as 3600, 30m, 12h or 7d");
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

async function adminRequest(connection: Connection, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<unknown> {
  const credential = new BatchSharedKeyCredential(connection.account, connection.key);
  const endpoint = new URL(connection.endpoint);
  const rawPath = `${endpoint.pathname.replace(/\/+$/, "")}${path}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { "ocp-date": new Date().toUTCString(), accept: "application/json" };
  if (text !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(text));
  } else if (method !== "GET") {
    headers["content-length"] = "0";
  }
  headers["authorization"] = credential.authorizationHeader({ method, rawPath, rawQuery: "", headers });
  const response = await fetch(`${endpoint.origin}${rawPath}`, { method, headers, ...(text === undefined ? {} : { body: text }) });
  const answer = await response.text();
  let parsed: unknown;
  try {
    parsed = answer === "" ? undefined : JSON.parse(answer);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = parsed as { code?: string; message?: { value?: string } } | undefined;
    const message = error?.message?.value?.split("\nRequestId:")[0] ?? answer.slice(0, 200);
    throw new Error(`the server refused the request (HTTP ${response.status}${error?.code === undefined ? "" : ` ${error.code}`}): ${message}`);
  }
  return parsed;
}

export function addPoolJoinToken(pool: Command): void {
  leaf(pool, "join-token", "Make a join token with which agents on other machines join the pool (openbatch agent --join-token); or list or revoke its tokens.")
    .ids("pool-id")
    .options((command) =>
      command
        .option("--lifetime <duration>", "how long the token is good for: seconds, or 30m, 12h, 7d (default 1d)", parseLifetime)
        .option("--list", "list the pool's tokens instead (never their secrets)")
        .option("--revoke <token-id>", "revoke a token instead: no agent can join with it any more"),
    )
    .action(async (invocation) => {
      const poolId = invocation.ids["poolId"] as string;
      const options = flags<{ lifetime?: number; list?: boolean; revoke?: string }>(invocation);
      const path = `/_admin/v1/pools/${encodeURIComponent(poolId)}/join-tokens`;
      if (options.list === true && options.revoke !== undefined) throw new UsageError("give --list or --revoke, not both.");
      if (options.list === true) return ((await adminRequest(invocation.connection(), "GET", path)) as { value: unknown[] }).value;
      if (options.revoke !== undefined) return adminRequest(invocation.connection(), "DELETE", `${path}/${encodeURIComponent(options.revoke)}`);
      const created = (await adminRequest(invocation.connection(), "POST", path, options.lifetime === undefined ? {} : { lifetimeInSeconds: options.lifetime })) as {
        id: string;
        expiryTime: string;
        token: string;
      };
      // Asked for a format: the record with its token. Else the token alone, so that `T=$(…)` takes it as it is.
      if (invocation.options["output"] !== undefined) return created;
      invocation.terminal.note(`Join token ${created.id} for pool ${poolId}, valid until ${created.expiryTime}. Revoke it with: openbatch pool join-token ${poolId} --revoke ${created.id}`);
      invocation.terminal.out(`${created.token}\n`);
      return undefined;
    });
}
