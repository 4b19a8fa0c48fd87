/**
 * The application admin endpoint: OpenBatch's stand-in for the management plane's application and package
 * operations, beside (not inside) the Batch API pipeline. Requests are signed with the account's SharedKey exactly
 * like Batch requests (no api-version); errors are Batch error bodies with a `request-id`.
 *
 *   PUT   /_admin/v1/applications/{applicationId}/versions/{version}[?displayName=…]   body: the zip  → 201
 *   PATCH /_admin/v1/applications/{applicationId}   body: {"defaultVersion": "1.0" | null}          → 200
 *   GET   /_admin/v1/applications/{applicationId}                                                   → 200
 *
 * Each answers the application with its `defaultVersion` and `packages` (version, sha256, size, upload time).
 * Upload errors: 413 RequestBodyTooLarge past the size limit, 400 InvalidRequestBody for anything that is not an
 * installable zip (packageArchive.ts), 400 InvalidPropertyValue for a bad id or version, checked before the body is
 * read. The upload is not bound by the Batch API's 1 MiB body limit: it streams to disk (packageFiles.ts).
 */
import type { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { applicationVersionProblem, assertValidId, isServiceError, limits, serviceError, type ServiceError } from "@openbatch/core";
import type { Authenticator } from "../auth/authenticate.js";
import type { ResolvedServerConfig } from "../config.js";
import { adminOperations } from "../http/adminOperation.js";
import { parseJsonBody } from "../http/jsonBody.js";
import type { ApplicationService } from "../services/applicationService.js";
import { InvalidPackageArchive, PackageTooLarge, type PackageFiles } from "./packageFiles.js";

export const adminApplicationsPath = "/_admin/v1/applications";

const maxJsonBodyBytes = 64 * 1024;

export interface AdminEndpointDependencies {
  readonly config: ResolvedServerConfig;
  readonly authenticator: Authenticator;
  readonly applications: ApplicationService;
  readonly packageFiles: PackageFiles;
}

async function readSmallBody(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxJsonBodyBytes) {
      throw serviceError("RequestBodyTooLarge", { message: `The request body exceeds ${maxJsonBodyBytes} bytes.`, values: [{ key: "MaxLimit", value: String(maxJsonBodyBytes) }] });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function checkVersion(version: string): void {
  const problem = applicationVersionProblem(version);
  if (problem !== undefined) throw serviceError("InvalidPropertyValue", { message: problem, values: [{ key: "PropertyName", value: "version" }] });
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminEndpointDependencies): void {
  const { config } = deps;

  function translate(error: unknown): ServiceError {
    if (isServiceError(error)) return error;
    if (error instanceof PackageTooLarge) {
      return serviceError("RequestBodyTooLarge", { message: error.message, values: [{ key: "MaxLimit", value: String(config.maxApplicationPackageBytes) }] });
    }
    if (error instanceof InvalidPackageArchive) {
      return serviceError("InvalidRequestBody", { message: error.message, values: [{ key: "Reason", value: error.message }] });
    }
    throw error;
  }

  const operation = adminOperations(deps, translate);

  void app.register(async (scope) => {
    // Bodies are read by the handlers (a zip streams to disk); nothing is buffered or parsed beforehand.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null));

    type AppParams = { Params: { applicationId: string } };
    type VersionParams = { Params: { applicationId: string; version: string }; Querystring: { displayName?: string } };

    scope.put<VersionParams>(
      `${adminApplicationsPath}/:applicationId/versions/:version`,
      operation(async (request, account, now) => {
        const { applicationId, version } = request.params as VersionParams["Params"];
        assertValidId(applicationId, "applicationId");
        checkVersion(version);
        const displayName = (request.query as VersionParams["Querystring"]).displayName;
        if (displayName !== undefined && displayName.length > limits.displayNameMaxLength) {
          throw serviceError("InvalidQueryParameterValue", {
            message: `The display name may be at most ${limits.displayNameMaxLength} characters long.`,
            values: [{ key: "QueryParameterName", value: "displayName" }],
          });
        }
        const stored = await deps.packageFiles.receive(account, request.raw);
        const details = await deps.applications.registerPackage(
          account,
          { applicationId, version, sha256: stored.sha256, sizeInBytes: stored.sizeInBytes, ...(displayName === undefined || displayName === "" ? {} : { displayName }) },
          now,
        );
        return { status: 201, body: details };
      }),
    );

    scope.patch<AppParams>(
      `${adminApplicationsPath}/:applicationId`,
      operation(async (request, account, now) => {
        const { applicationId } = request.params as AppParams["Params"];
        const parsed = parseJsonBody(await readSmallBody(request.raw)) as unknown;
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !("defaultVersion" in parsed)) {
          throw serviceError("MissingRequiredProperty", {
            message: "The property 'defaultVersion' is required (a version, or null to clear the default).",
            values: [{ key: "PropertyName", value: "defaultVersion" }],
          });
        }
        for (const key of Object.keys(parsed)) {
          if (key !== "defaultVersion") throw serviceError("UnsupportedProperty", { message: `The property '${key}' is not supported.`, values: [{ key: "PropertyName", value: key }] });
        }
        const value = (parsed as { defaultVersion: unknown }).defaultVersion;
        if (value !== null && typeof value !== "string") {
          throw serviceError("InvalidPropertyValue", { message: "defaultVersion must be a string or null.", values: [{ key: "PropertyName", value: "defaultVersion" }] });
        }
        return { status: 200, body: await deps.applications.setDefaultVersion(account, applicationId, value ?? undefined, now) };
      }),
    );

    scope.get<AppParams>(
      `${adminApplicationsPath}/:applicationId`,
      operation(async (request, account) => {
        const { applicationId } = request.params as AppParams["Params"];
        return { status: 200, body: await deps.applications.details(account, applicationId) };
      }),
    );
  });
}
