/**
 * Credentials: SharedKey (account name + base64 key, signed exactly as azure-batch's batch_auth.py signs,
 * rest-api.md §2.1) and any Azure AD `TokenCredential` (the `@azure/core-auth` interface, declared here structurally
 * so `@azure/identity`'s `DefaultAzureCredential` works without this package depending on it).
 */
import { platform } from "#platform";
import { sharedKeyStringToSign as stringToSign } from "./generated/sharedKey.js";

/** The Batch data-plane scope for Azure AD tokens. */
export const batchScope = "https://batch.core.windows.net//.default";

/** `@azure/core-auth`'s AccessToken. */
export interface AccessToken {
  readonly token: string;
  /** Expiry, in milliseconds since the Unix epoch. */
  readonly expiresOnTimestamp: number;
  /** When the token should be refreshed (ms since epoch), if the issuer said so. */
  readonly refreshAfterTimestamp?: number;
}

/** `@azure/core-auth`'s GetTokenOptions (the part this client uses). */
export interface GetTokenOptions {
  readonly abortSignal?: AbortSignal;
  readonly [option: string]: unknown;
}

/** `@azure/core-auth`'s TokenCredential. */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null>;
}

/** The signable parts of a request, as they will go on the wire. */
export interface SignableRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The raw, percent-encoded path as sent, including any path prefix of the endpoint (no query). */
  readonly rawPath: string;
  /** The raw query string as sent, without `?`. */
  readonly rawQuery: string;
  /** Request headers, any case; values verbatim. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The SharedKey string-to-sign of rest-api.md §2.1 (packages/protocol), with the Python SDK's choice where the
 * official clients differ: empty query values are not signed.
 */
export function sharedKeyStringToSign(request: SignableRequest, accountName: string): string {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== "") headers.set(name.toLowerCase(), value);
  }
  return stringToSign({ method: request.method, headers, rawPath: request.rawPath, rawQuery: request.rawQuery }, accountName);
}

/** Signs Batch requests with the account's shared key. */
export class BatchSharedKeyCredential {
  readonly accountName: string;
  readonly #key: Uint8Array;

  /**
   * @param accountName the Batch account name (the first label of `https://{account}.{region}.batch.azure.com`).
   * @param accountKey the account's primary or secondary key, base64 as the portal shows it.
   * @throws TypeError when the name is empty or the key is not base64.
   */
  constructor(accountName: string, accountKey: string) {
    if (typeof accountName !== "string" || accountName === "") throw new TypeError("accountName must be a non-empty string");
    if (typeof accountKey !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey.trim())) {
      throw new TypeError("accountKey must be the base64 account key");
    }
    this.accountName = accountName;
    this.#key = Uint8Array.from(atob(accountKey.trim()), (char) => char.charCodeAt(0));
  }

  /**
   * The `Authorization` header value for `request`: `SharedKey {account}:{signature}`. Node.js only (browsers have
   * no synchronous HMAC): use `sign` where the code may run in a browser.
   */
  authorizationHeader(request: SignableRequest): string {
    const hmac = platform.hmacSha256Base64Sync;
    if (hmac === undefined) throw new TypeError("authorizationHeader is synchronous and needs Node.js; use `await credential.sign(request)`");
    return `SharedKey ${this.accountName}:${hmac(this.#key, sharedKeyStringToSign(request, this.accountName))}`;
  }

  /** The `Authorization` header value for `request`, on any platform (WebCrypto in browsers). */
  async sign(request: SignableRequest): Promise<string> {
    return `SharedKey ${this.accountName}:${await platform.hmacSha256Base64(this.#key, sharedKeyStringToSign(request, this.accountName))}`;
  }
}

/** True when `value` has a `getToken` method (a TokenCredential). */
export function isTokenCredential(value: unknown): value is TokenCredential {
  return typeof value === "object" && value !== null && typeof (value as { getToken?: unknown }).getToken === "function";
}

/**
 * Caches a TokenCredential's token for the Batch scope: reused until `refreshAfterTimestamp` or until
 * `refreshWindowInMs` before expiry; concurrent callers share one `getToken` call.
 */
export class TokenCache {
  #token: AccessToken | undefined;
  #pending: Promise<AccessToken> | undefined;

  constructor(
    private readonly credential: TokenCredential,
    private readonly scopes: string[] = [batchScope],
    private readonly refreshWindowInMs = 2 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  #fresh(token: AccessToken | undefined): token is AccessToken {
    if (token === undefined) return false;
    const now = this.now();
    if (token.refreshAfterTimestamp !== undefined && now >= token.refreshAfterTimestamp) return false;
    return now < token.expiresOnTimestamp - this.refreshWindowInMs;
  }

  async getToken(abortSignal?: AbortSignal): Promise<string> {
    if (this.#fresh(this.#token)) return this.#token.token;
    this.#pending ??= (async () => {
      try {
        const token = await this.credential.getToken(this.scopes, abortSignal === undefined ? {} : { abortSignal });
        if (token === null || typeof token.token !== "string") throw new Error("The TokenCredential returned no token for the Batch scope");
        this.#token = token;
        return token;
      } finally {
        this.#pending = undefined;
      }
    })();
    const token = await this.#pending;
    return token.token;
  }
}
