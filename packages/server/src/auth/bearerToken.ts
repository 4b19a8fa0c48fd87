/**
 * Microsoft Entra ID (Azure AD) bearer tokens: `Authorization: Bearer <JWT>`. Nothing is signed by the client; the
 * token is verified against the configured issuer, audience and signing keys (a JWKS file, or one PEM public key).
 */
import { readFileSync } from "node:fs";
import { createLocalJWKSet, importSPKI, jwtVerify, type JWTVerifyGetKey, type KeyObject } from "jose";

export interface BearerTokenOptions {
  /** Expected `iss`; any issuer when absent. */
  readonly issuer?: string;
  /** Expected `aud`. @default "https://batch.core.windows.net/" */
  readonly audience?: string;
  /** Path of a JWKS JSON file with the signing keys. */
  readonly jwksFile?: string;
  /** Path of a PEM (SPKI) public key, used when no JWKS file is given. */
  readonly publicKeyFile?: string;
  /** The public key's JWS algorithm. @default "RS256" */
  readonly publicKeyAlgorithm?: string;
  /** Allowed clock skew. @default 300 */
  readonly clockToleranceInSeconds?: number;
}

export interface BearerTokenVerifier {
  /** Resolves the verified claims, or rejects when the token is not valid. */
  verify(token: string): Promise<Record<string, unknown>>;
}

export const batchAudience = "https://batch.core.windows.net/";

export async function createBearerTokenVerifier(options: BearerTokenOptions): Promise<BearerTokenVerifier> {
  let key: JWTVerifyGetKey | KeyObject | Uint8Array | Awaited<ReturnType<typeof importSPKI>>;
  if (options.jwksFile !== undefined) {
    key = createLocalJWKSet(JSON.parse(readFileSync(options.jwksFile, "utf8")));
  } else if (options.publicKeyFile !== undefined) {
    key = await importSPKI(readFileSync(options.publicKeyFile, "utf8"), options.publicKeyAlgorithm ?? "RS256");
  } else {
    throw new Error("Bearer token authentication needs a JWKS file or a public key file");
  }
  const audience = options.audience ?? batchAudience;
  return {
    async verify(token) {
      const verifyOptions = {
        audience: [audience, audience.replace(/\/$/, "")],
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        clockTolerance: options.clockToleranceInSeconds ?? 300,
      };
      const { payload } = typeof key === "function" ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
      return payload as Record<string, unknown>;
    },
  };
}
