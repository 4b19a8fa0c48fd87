/**
 * `GET /`: a small page that says what this server is, instead of the Batch API's 400 for a request without
 * api-version — what a person who opens the endpoint in a browser (or curls it) wants to see. No authentication and
 * nothing secret: the version, readiness, the account names, the links that exist, and, for the development account
 * only (its key is public), the lines that point az and the SDKs at it. `Accept: application/json` gets the same
 * as JSON.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { currentApiVersion } from "@openbatch/protocol";
import type { ResolvedServerConfig } from "../config.js";

export interface StatusPageOptions {
  readonly config: ResolvedServerConfig;
  readonly isReady: () => boolean;
  /** @default openBatchVersion */
  readonly version?: string;
  /** Extra links (e.g. a dashboard), shown above the built-in ones. */
  readonly links?: readonly { readonly href: string; readonly label: string }[];
}

/** The release this server is (the packages are versioned together). */
export const openBatchVersion = "0.1.0";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

export function registerStatusPage(app: FastifyInstance, options: StatusPageOptions): void {
  const { config } = options;
  app.get("/", async (request, reply) => {
    const endpoint = config.publicUrl ?? `${request.protocol}://${request.headers.host ?? `${config.host}:${config.port}`}`;
    const development = config.usingDevelopmentAccount ? config.accounts[0] : undefined;
    const status = {
      service: "OpenBatch",
      version: options.version ?? openBatchVersion,
      status: options.isReady() ? "ready" : "starting",
      endpoint,
      apiVersion: currentApiVersion,
      accounts: config.accounts.map((account) => account.name),
      ...(development === undefined
        ? {}
        : { developmentAccount: { AZURE_BATCH_ENDPOINT: endpoint, AZURE_BATCH_ACCOUNT: development.name, AZURE_BATCH_ACCESS_KEY: development.key } }),
      links: [...(options.links ?? []), { href: "/healthz", label: "health check" }],
    };
    reply.header("request-id", randomUUID());
    reply.header("cache-control", "no-store");
    if ((request.headers.accept ?? "").includes("application/json")) return reply.code(200).send(status);
    const environment =
      status.developmentAccount === undefined
        ? ""
        : `<h2>Use it</h2><p>The development account's key is public; paste these into a shell, then use <code>az batch</code>, the Azure SDKs or <code>npx openbatch</code>:</p><pre>${Object.entries(status.developmentAccount)
            .map(([name, value]) => `export ${name}=${escapeHtml(value)}`)
            .join("\n")}</pre>`;
    const links = status.links.map((link) => `<li><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></li>`).join("");
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OpenBatch</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}pre,code{background:#f4f4f4;border-radius:4px}pre{padding:.75rem;overflow-x:auto}td{padding:.1rem 1rem .1rem 0}</style>
</head><body>
<h1>OpenBatch</h1>
<p>A self-hosted, wire-compatible Azure Batch service. Status: <strong id="status">${status.status}</strong>.</p>
<table>
<tr><td>endpoint</td><td><code>${escapeHtml(endpoint)}</code></td></tr>
<tr><td>Batch API version</td><td><code>${currentApiVersion}</code></td></tr>
<tr><td>accounts</td><td>${status.accounts.map((name) => `<code>${escapeHtml(name)}</code>`).join(", ")}</td></tr>
<tr><td>version</td><td>${escapeHtml(status.version)}</td></tr>
</table>
${environment}
<h2>Links</h2><ul>${links}</ul>
<p>Batch requests need <code>?api-version=${currentApiVersion}</code> and a SharedKey or bearer signature, as with Azure Batch.</p>
</body></html>
`;
    return reply.code(200).type("text/html; charset=utf-8").send(html);
  });
}
