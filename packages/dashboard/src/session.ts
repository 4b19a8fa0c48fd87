/**
 * Who the dashboard acts for. Credentials live in this tab's session storage only and leave the page only as
 * request signatures (SharedKey) or as the bearer token itself: the account key is never sent anywhere. The
 * server's /ui/config.json names the development account (with its published key) when, and only when, it serves
 * that account, which it does on loopback alone — then signing in needs no typing.
 */
import { BatchServiceClient, BatchSharedKeyCredential, type TokenCredential } from "@openbatch/client";

export type Session =
  | { readonly kind: "sharedKey"; readonly account: string; readonly key: string }
  | { readonly kind: "bearer"; readonly token: string };

const storageKey = "openbatch.session";

export function loadSession(): Session | undefined {
  try {
    const text = sessionStorage.getItem(storageKey);
    return text === null ? undefined : (JSON.parse(text) as Session);
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(storageKey, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(storageKey);
}

export function describeSession(session: Session): string {
  return session.kind === "sharedKey" ? session.account : "bearer token";
}

/** A static token as a TokenCredential: the dashboard does not refresh tokens; sign in again when it expires. */
function staticToken(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) };
}

export function clientFor(session: Session, endpoint = location.origin): BatchServiceClient {
  const credential = session.kind === "sharedKey" ? new BatchSharedKeyCredential(session.account, session.key) : staticToken(session.token);
  return new BatchServiceClient(endpoint, credential, { retryOptions: { maxRetries: 2, retryDelayInMs: 300 }, requestTimeoutInMs: 30_000 });
}

export interface ServerConfig {
  readonly developmentAccount: { readonly name: string; readonly key: string } | null;
}

export async function serverConfig(): Promise<ServerConfig> {
  try {
    const response = await fetch(new URL("config.json", location.href.replace(/#.*$/, "")), { cache: "no-store" });
    if (!response.ok) return { developmentAccount: null };
    return (await response.json()) as ServerConfig;
  } catch {
    return { developmentAccount: null };
  }
}

/** Proves a session works before it is kept: one cheap signed request. */
export async function verify(client: BatchServiceClient): Promise<void> {
  const pages = client.pool.list({ select: "id", maxResults: 1 }).byPage({ maxPageSize: 1 });
  await pages.next();
}
