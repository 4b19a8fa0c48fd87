/**
 * `openbatch pool join-token <pool>`: makes, lists and revokes the join tokens with which agents on other machines
 * join a pool of the `external` provider (`openbatch agent --join-token T`). Tokens are made by the server's admin
 * endpoint (`/_admin/v1/pools/{pool}/join-tokens`), signed with the account's key, so only a holder of the key can
 * make one:
 *
 *   openbatch pool join-token mypool [--lifetime 1d]     prints the token alone (for `T=$(…)`), its id on stderr
 *   openbatch pool join-token mypool --list               the pool's tokens (id, expiry, revoked), never their secret
 *   openbatch pool join-token mypool --revoke <tokenId>   no new agent can join with it
 *
 * The connection is `--account`, `--key` and `--endpoint`, defaulting to the az CLI's AZURE_BATCH_ACCOUNT,
 * AZURE_BATCH_ACCESS_KEY and AZURE_BATCH_ENDPOINT. A refused request prints the server's code and message.
 */
import { Command, InvalidArgumentError } from "commander";
import { BatchSharedKeyCredential } from "@openbatch/client";

interface JoinTokenOptions {
  readonly account?: string;
  readonly key?: string;
  readonly endpoint?: string;
  readonly lifetime?: number;
  readonly list?: boolean;
  readonly revoke?: string;
}

/** `90`, `90s`, `30m`, `12h`, `7d` → seconds. */
export function parseLifetime(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError("must be a duration such as 3600, 30m, 12h or 7d");
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

function required(value: string | undefined, flag: string, variable: string): string {
  if (value === undefined || value === "") throw new Error(`${flag} (or ${variable}) is required.`);
  return value;
}

async function adminRequest(options: JoinTokenOptions, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<unknown> {
  const credential = new BatchSharedKeyCredential(required(options.account, "--account", "AZURE_BATCH_ACCOUNT"), required(options.key, "--key", "AZURE_BATCH_ACCESS_KEY"));
  const endpoint = new URL(required(options.endpoint, "--endpoint", "AZURE_BATCH_ENDPOINT"));
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

export function joinTokenCommand(): Command {
  return new Command("join-token")
    .description("Make a join token with which agents on other machines join the pool (openbatch agent --join-token); or list or revoke the pool's tokens")
    .argument("<pool>", "the pool's id (its provider must be 'external')")
    .option("--lifetime <duration>", "how long the token is good for: seconds, or 30m, 12h, 7d (default 1d)", parseLifetime)
    .option("--list", "list the pool's tokens instead (never their secrets)")
    .option("--revoke <tokenId>", "revoke a token instead: agents can no longer join with it")
    .option("--account <name>", "Batch account name (env AZURE_BATCH_ACCOUNT)", process.env["AZURE_BATCH_ACCOUNT"])
    .option("--key <base64>", "the account's key (env AZURE_BATCH_ACCESS_KEY)", process.env["AZURE_BATCH_ACCESS_KEY"])
    .option("--endpoint <url>", "the server's URL, e.g. https://batch.example.org:8090 (env AZURE_BATCH_ENDPOINT)", process.env["AZURE_BATCH_ENDPOINT"])
    .action(async (pool: string, options: JoinTokenOptions) => {
      const path = `/_admin/v1/pools/${encodeURIComponent(pool)}/join-tokens`;
      if (options.list === true && options.revoke !== undefined) throw new Error("give --list or --revoke, not both.");
      if (options.list === true) {
        const listed = (await adminRequest(options, "GET", path)) as { value: unknown[] };
        process.stdout.write(`${JSON.stringify(listed.value, null, 2)}\n`);
        return;
      }
      if (options.revoke !== undefined) {
        process.stdout.write(`${JSON.stringify(await adminRequest(options, "DELETE", `${path}/${encodeURIComponent(options.revoke)}`), null, 2)}\n`);
        return;
      }
      const created = (await adminRequest(options, "POST", path, options.lifetime === undefined ? {} : { lifetimeInSeconds: options.lifetime })) as { id: string; expiryTime: string; token: string };
      process.stderr.write(`Join token ${created.id} for pool ${pool}, valid until ${created.expiryTime}. Revoke it with: openbatch pool join-token ${pool} --revoke ${created.id}\n`);
      process.stdout.write(`${created.token}\n`);
    });
}
