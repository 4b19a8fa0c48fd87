/**
 * One agent-protocol exchange: POST the AgentSyncRequest to `${serverUrl}${agentSyncPath}` with the agent's bearer
 * token and return the validated AgentSyncResponse.
 *
 * Errors: SyncRejected for 401/403 (the token is wrong or belongs to another agent: retrying cannot help);
 * SyncFailed for everything worth retrying — no connection, a timeout, another non-2xx status (the server's
 * `{code, message}` body is quoted), or a response that is not a valid AgentSyncResponse. An abort through
 * `signal` rethrows the abort error unchanged.
 */
import { AgentSyncResponse, agentSyncPath, validateBody, type AgentSyncRequest } from "@openbatch/protocol";

export class SyncRejected extends Error {
  override readonly name = "SyncRejected";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class SyncFailed extends Error {
  override readonly name = "SyncFailed";
}

export interface SyncExchange {
  readonly serverUrl: string;
  /** How to reach the server (its TLS settings). @default the global fetch */
  readonly fetch?: typeof globalThis.fetch;
  readonly token: string;
  readonly request: AgentSyncRequest;
  readonly signal: AbortSignal;
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.code === "string") return `${body.code}: ${typeof body.message === "string" ? body.message : ""}`;
  } catch {
    // not JSON: quote the start of the text
  }
  return text.slice(0, 200);
}

export async function exchange(options: SyncExchange): Promise<AgentSyncResponse> {
  const url = `${options.serverUrl.replace(/\/+$/, "")}${agentSyncPath}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(options.request),
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new SyncFailed(`The server cannot be reached: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new SyncRejected(response.status, `The server refused the agent's credentials (HTTP ${response.status}) ${await errorText(response)}`);
  }
  if (!response.ok) throw new SyncFailed(`The server answered HTTP ${response.status}: ${await errorText(response)}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    throw new SyncFailed(`The server's answer is not JSON: ${(error as Error).message}`);
  }
  try {
    return validateBody<AgentSyncResponse>(AgentSyncResponse, body);
  } catch (error) {
    throw new SyncFailed(`The server's answer is not a valid AgentSyncResponse: ${(error as Error).message}`);
  }
}
