/**
 * `openbatch application …`: manages application packages through the server's admin endpoint
 * (packages/server/src/applications/adminEndpoint.ts), signed with the account's SharedKey.
 *
 *   openbatch application upload <applicationId> <version> <zip> [--display-name N] [--set-default]
 *   openbatch application set-default <applicationId> <version>     (or --clear)
 *   openbatch application show <applicationId>
 *
 * Every subcommand takes `--account`, `--key` and `--endpoint`, defaulting to the az CLI's variables
 * AZURE_BATCH_ACCOUNT, AZURE_BATCH_ACCESS_KEY and AZURE_BATCH_ENDPOINT. It prints the application (its versions,
 * default version and packages) as JSON; a refused request prints the server's error code and message and exits 1.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { Command } from "commander";
import { BatchSharedKeyCredential } from "@openbatch/client";

interface ConnectionOptions {
  readonly account?: string;
  readonly key?: string;
  readonly endpoint?: string;
}

interface AdminCall {
  readonly method: "GET" | "PUT" | "PATCH";
  /** Path below `/_admin/v1/applications`, already percent-encoded. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: { readonly contentType: string; readonly length: number; readonly open: () => Readable | Buffer };
}

function required(value: string | undefined, flag: string, variable: string): string {
  if (value === undefined || value === "") throw new Error(`${flag} (or ${variable}) is required.`);
  return value;
}

function withConnectionOptions(command: Command): Command {
  return command
    .option("--account <name>", "Batch account name (env AZURE_BATCH_ACCOUNT)", process.env["AZURE_BATCH_ACCOUNT"])
    .option("--key <base64>", "the account's key (env AZURE_BATCH_ACCESS_KEY)", process.env["AZURE_BATCH_ACCESS_KEY"])
    .option("--endpoint <url>", "the server's URL, e.g. http://127.0.0.1:8090 (env AZURE_BATCH_ENDPOINT)", process.env["AZURE_BATCH_ENDPOINT"]);
}

/** Sends one signed admin request; resolves with the parsed JSON answer or throws with the server's error. */
async function adminCall(connection: ConnectionOptions, call: AdminCall): Promise<unknown> {
  const credential = new BatchSharedKeyCredential(
    required(connection.account, "--account", "AZURE_BATCH_ACCOUNT"),
    required(connection.key, "--key", "AZURE_BATCH_ACCESS_KEY"),
  );
  const endpoint = new URL(required(connection.endpoint, "--endpoint", "AZURE_BATCH_ENDPOINT"));
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

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function setDefault(connection: ConnectionOptions, applicationId: string, version: string | null): Promise<unknown> {
  const body = Buffer.from(JSON.stringify({ defaultVersion: version }));
  return adminCall(connection, {
    method: "PATCH",
    path: encodeURIComponent(applicationId),
    body: { contentType: "application/json", length: body.length, open: () => body },
  });
}

export function applicationCommand(): Command {
  const command = new Command("application").description("Manage application packages (upload zips, choose default versions)");

  withConnectionOptions(command.command("upload"))
    .description("Upload a zip as the package of an application version (creating the application if needed)")
    .argument("<applicationId>", "the application's id")
    .argument("<version>", "the version this zip is")
    .argument("<zip>", "path of the zip file")
    .option("--display-name <name>", "the application's display name")
    .option("--set-default", "also make this version the application's default")
    .action(async (applicationId: string, version: string, zipPath: string, options: ConnectionOptions & { displayName?: string; setDefault?: boolean }) => {
      const info = await stat(zipPath).catch(() => undefined);
      if (info === undefined || !info.isFile()) throw new Error(`${zipPath} is not a readable file.`);
      const query = new URLSearchParams();
      if (options.displayName !== undefined) query.set("displayName", options.displayName);
      let result = await adminCall(options, {
        method: "PUT",
        path: `${encodeURIComponent(applicationId)}/versions/${encodeURIComponent(version)}`,
        query,
        body: { contentType: "application/zip", length: info.size, open: () => createReadStream(zipPath) },
      });
      if (options.setDefault === true) result = await setDefault(options, applicationId, version);
      print(result);
    });

  withConnectionOptions(command.command("set-default"))
    .description("Set the version deployed by references that name no version")
    .argument("<applicationId>", "the application's id")
    .argument("[version]", "the version to make the default")
    .option("--clear", "remove the default version instead")
    .action(async (applicationId: string, version: string | undefined, options: ConnectionOptions & { clear?: boolean }) => {
      if ((version === undefined) === (options.clear !== true)) throw new Error("give either a version or --clear.");
      print(await setDefault(options, applicationId, version ?? null));
    });

  withConnectionOptions(command.command("show"))
    .description("Show an application with its versions, default version and packages")
    .argument("<applicationId>", "the application's id")
    .action(async (applicationId: string, options: ConnectionOptions) => {
      print(await adminCall(options, { method: "GET", path: encodeURIComponent(applicationId) }));
    });

  return command;
}
