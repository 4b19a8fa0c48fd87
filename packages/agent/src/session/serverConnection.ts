/**
 * How the agent reaches its server: one `fetch` for every request to it (sync, joins, application packages, the
 * file channel), with the server's certificate verified the way the agent was told:
 *
 * - `https://` with no CA file: against the system's trusted CAs and the URL's host name (Node's defaults);
 * - `caFile`: against the CAs in that PEM file (a private CA) instead, and the URL's host name;
 * - `caFile` + `pinCertificate`: the server must present exactly a certificate of that file, whatever names it
 *   carries — how agents of the local provider, which reach the server on a loopback address, trust its certificate
 *   without a CA being set up for them (the server hands them its own certificate file).
 *
 * `http://` URLs are used as they are (the development setup, and a loopback server).
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { PeerCertificate } from "node:tls";
import { Agent, fetch as undiciFetch } from "undici";

export interface ServerConnectionOptions {
  readonly serverUrl: string;
  /** PEM file of the CAs (or, pinned, the certificates) to trust for the server. */
  readonly caFile?: string;
  readonly pinCertificate?: boolean;
}

export interface ServerConnection {
  /** The server's base URL, without a trailing slash. */
  readonly url: string;
  readonly fetch: typeof globalThis.fetch;
  close(): Promise<void>;
}

/** Every certificate of a PEM file. */
function certificatesOf(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function openServerConnection(options: ServerConnectionOptions): ServerConnection {
  const url = options.serverUrl.replace(/\/+$/, "");
  let ca: string[] | undefined;
  if (options.caFile !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(options.caFile, "utf8");
    } catch (error) {
      throw new Error(`The CA file '${options.caFile}' cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
    }
    ca = certificatesOf(pem);
    if (ca.length === 0) throw new Error(`The CA file '${options.caFile}' holds no PEM certificate.`);
  }
  const pinned = options.pinCertificate === true && ca !== undefined ? new Set(ca.map((pem) => new X509Certificate(pem).fingerprint256)) : undefined;
  const dispatcher = new Agent({
    // Long polls are held for up to a minute; the sync loop sets its own deadlines.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: {
      ...(ca === undefined ? {} : { ca }),
      ...(pinned === undefined
        ? {}
        : {
            // The pinned certificates are the trust anchors even when a CA issued them; the name check is replaced
            // by the pin, since the agent reaches the server on an address the certificate may not name.
            allowPartialTrustChain: true,
            checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
              pinned.has(certificate.fingerprint256) ? undefined : new Error("The server's certificate is not the one this agent was given."),
          }),
    },
  });
  return {
    url,
    fetch: ((input: Parameters<typeof globalThis.fetch>[0], init?: Parameters<typeof globalThis.fetch>[1]) =>
      undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof globalThis.fetch,
    close: () => dispatcher.close(),
  };
}
