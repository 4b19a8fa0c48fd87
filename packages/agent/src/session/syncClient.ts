/**
 * One agent-protocol exchange: POST the AgentSyncRequest to `${serverUrl}${agentSyncPath}` with the agent's bearer
 * token and return the validated AgentSyncResponse.
 *
 * Errors: SyncRejected for 401/403 (the token is wrong or belongs to another agent: retrying cannot help);
 * SyncFailed for everything worth retrying — no connection, a timeout, another non-2xx status (the server's
 * `{code, message}` body is quoted), or a response that is not a valid AgentSyncResponse. An abort through
 * `signal` rethrows the abort error unchanged.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
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
  readonly token: string;
  readonly request: AgentSyncRequest;
  readonly signal: AbortSignal;
}

function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.code === "string") return `${body.code}: ${typeof body.message === "string" ? body.message : ""}`;
  } catch {
    // not JSON: quote the start of the text
  }
  return text.slice(0, 200);
}

/** The connection to the server is kept open between exchanges (one per agent and server, as a long poll needs). */
const httpAgent = new HttpAgent({ keepAlive: true });
let httpsTransport: Promise<{ request: typeof httpRequest; agent: HttpAgent }> | undefined;

/** `node:https` is loaded only for an https server (remote agents): local agents never need TLS. */
function transportFor(url: URL): Promise<{ request: typeof httpRequest; agent: HttpAgent }> {
  if (url.protocol !== "https:") return Promise.resolve({ request: httpRequest, agent: httpAgent });
  httpsTransport ??= import("node:https").then((https) => ({ request: https.request, agent: new https.Agent({ keepAlive: true }) }));
  return httpsTransport;
}

class Unreachable extends Error {
  override readonly name = "Unreachable";
}

/**
 * POSTs `body` and reads the whole answer. Node's own HTTP client rather than `fetch`: fetch loads undici (and
 * HTTP/2) into every agent — ~35 MB more per idle agent and more CPU per exchange, paid by each of many agents.
 */
async function post(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; text: string }> {
  const { request, agent } = await transportFor(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, agent, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("close", () => {
        if (response.complete) resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
        else reject(new Error("the connection closed before the answer was complete"));
      });
    });
    outgoing.on("error", (error: NodeJS.ErrnoException) => reject(new Unreachable(error.code ?? error.message)));
    outgoing.end(body);
  });
}

export async function exchange(options: SyncExchange): Promise<AgentSyncResponse> {
  const url = new URL(`${options.serverUrl.replace(/\/+$/, "")}${agentSyncPath}`);
  let response: { status: number; text: string };
  try {
    response = await post(url, { authorization: `Bearer ${options.token}`, "content-type": "application/json", accept: "application/json" }, JSON.stringify(options.request), options.signal);
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    if (error instanceof Unreachable) throw new SyncFailed(`The server cannot be reached: ${error.message}`);
    throw new SyncFailed(`The server's answer could not be read: ${(error as Error).message}`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new SyncRejected(response.status, `The server refused the agent's credentials (HTTP ${response.status}) ${errorText(response.text)}`);
  }
  if (response.status < 200 || response.status > 299) throw new SyncFailed(`The server answered HTTP ${response.status}: ${errorText(response.text)}`);
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch (error) {
    throw new SyncFailed(`The server's answer is not JSON: ${(error as Error).message}`);
  }
  try {
    return validateBody<AgentSyncResponse>(AgentSyncResponse, body);
  } catch (error) {
    throw new SyncFailed(`The server's answer is not a valid AgentSyncResponse: ${(error as Error).message}`);
  }
}
