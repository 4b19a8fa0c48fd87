/**
 * `openbatch application …`. OpenBatch has no management plane, so packages are uploaded through the server's admin
 * endpoint (packages/server/src/applications/adminEndpoint.ts), signed with the account's SharedKey:
 *
 *   openbatch application upload <application-id> <version> <zip> [--display-name N] [--set-default]
 *   openbatch application set-default <application-id> [<version> | --clear]
 *   openbatch application show <application-id>          the application, its versions, default and packages
 *
 * and the Batch API's read-only view, as `az batch application summary list|show`:
 *
 *   openbatch application list | summary list | summary show <application-id>
 *
 * The connection is the command's usual one (flags, profile, OPENBATCH_* / AZURE_BATCH_*, local server). A refused
 * admin request prints the server's error code and message and exits 1.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { Command } from "commander";
import { BatchSharedKeyCredential, toArray } from "@openbatch/client";
import { flags } from "./framework/body.js";
import type { Connection } from "./framework/connection.js";
import { UsageError } from "./framework/errors.js";
import { leaf, type Invocation } from "./framework/leaf.js";
import { applicationSummaryRows } from "./commands/tables.js";

interface AdminCall {
  readonly method: "GET" | "PUT" | "PATCH";
  /** Path below `/_admin/v1/applications`, already percent-encoded. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: { readonly contentType: string; readonly length: number; readonly open: () => Readable | Buffer };
}

/** Sends one signed admin request; resolves with the parsed JSON answer or throws with the server's error. */
async function adminCall(connection: Connection, call: AdminCall): Promise<unknown> {
  const credential = new BatchSharedKeyCredential(connection.account, connection.key);
  const endpoint = new URL(connection.endpoint);
  const rawPath = `${endpoint.pathname.replace(/\/+$/, "")}/_admin/v1/applications/${call.path}`;
  const rawQuery = call.query?.toString() ?? "";
  const headers: Record<string, string> = { "ocp-date": new Date().toUTCString(), accept: "application/json" };
  if (call.body !== undefined) {
    headers["content-type"] = call.body.contentType;
    headers["content-length"] = String(call.body.length);
  } else if (call.method !== "GET") {
    headers["content-length"] = "0";
  }
  headers["authorization"] = credential.authorizationHeader({ method: call.method, rawPath, rawQuery, headers });
  const send = endpoint.protocol === "https:" ? httpsRequest : httpRequest;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = send(
      { protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port, method: call.method, path: rawQuery === "" ? rawPath : `${rawPath}?${rawQuery}`, headers },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: body }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    const body = call.body?.open();
    if (body === undefined) request.end();
    else if (Buffer.isBuffer(body)) request.end(body);
    else body.on("error", reject).pipe(request);
  });
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (status < 200 || status > 299) {
    const error = parsed as { code?: string; message?: { value?: string } } | undefined;
    const message = error?.message?.value?.split("\nRequestId:")[0] ?? text.slice(0, 200);
    throw new Error(`the server refused the request (HTTP ${status}${error?.code === undefined ? "" : ` ${error.code}`}): ${message}`);
  }
  return parsed;
}

function setDefault(connection: Connection, applicationId: string, version: string | null): Promise<unknown> {
  const body = Buffer.from(JSON.stringify({ defaultVersion: version }));
  return adminCall(connection, {
    method: "PATCH",
    path: encodeURIComponent(applicationId),
    body: { contentType: "application/json", length: body.length, open: () => body },
  });
}

const application = (invocation: Invocation) => invocation.ids["applicationId"] as string;

function summaryCommands(parent: Command): void {
  leaf(parent, "list", "List the applications of the account and their versions (the Batch API's summary).")
    .table(applicationSummaryRows)
    .action((invocation) => toArray(invocation.client().application.list()));
}

export function applicationCommand(): Command {
  const command = new Command("application").description("Manage application packages (upload zips, choose default versions) and list applications.");

  leaf(command, "upload", "Upload a zip as the package of an application version (creating the application if needed).")
    .ids("application-id", "version", "package-file")
    .options((options) =>
      options.option("--display-name <name>", "the application's display name").option("--set-default", "also make this version the application's default"),
    )
    .action(async (invocation) => {
      const zipPath = invocation.ids["packageFile"] as string;
      const options = flags<{ displayName?: string; setDefault?: boolean }>(invocation);
      const info = await stat(zipPath).catch(() => undefined);
      if (info === undefined || !info.isFile()) throw new UsageError(`${zipPath} is not a readable file.`);
      const query = new URLSearchParams();
      if (options.displayName !== undefined) query.set("displayName", options.displayName);
      let result = await adminCall(invocation.connection(), {
        method: "PUT",
        path: `${encodeURIComponent(application(invocation))}/versions/${encodeURIComponent(invocation.ids["version"] as string)}`,
        query,
        body: { contentType: "application/zip", length: info.size, open: () => createReadStream(zipPath) },
      });
      if (options.setDefault === true) result = await setDefault(invocation.connection(), application(invocation), invocation.ids["version"] as string);
      return result;
    });

  leaf(command, "set-default", "Set the version deployed by references that name no version (or --clear it).")
    .ids("application-id")
    .optionalIds("version")
    .options((options) => options.option("--clear", "remove the default version instead"))
    .action((invocation) => {
      const version = invocation.ids["version"];
      const clear = flags<{ clear?: boolean }>(invocation).clear === true;
      if ((version === undefined) === !clear) throw new UsageError("give either a version or --clear.");
      return setDefault(invocation.connection(), application(invocation), version ?? null);
    });

  leaf(command, "show", "Show an application with its versions, default version and packages.")
    .ids("application-id")
    .action((invocation) => adminCall(invocation.connection(), { method: "GET", path: encodeURIComponent(application(invocation)) }));

  summaryCommands(command);
  const summary = command.command("summary").description("View a summary of the account's applications (the Batch API's Application operations).");
  summaryCommands(summary);
  leaf(summary, "show", "Get an application's summary: its display name and versions.")
    .ids("application-id")
    .action((invocation) => invocation.client().application.get(application(invocation)));

  return command;
}
