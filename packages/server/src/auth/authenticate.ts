/**
 * The authentication stage: decides which account a request acts for, or refuses it with 403
 * AuthenticationFailed. SharedKey names its account in the header and must carry an `ocp-date` (or `Date`)
 * within the configured skew; Bearer tokens are verified as JWTs and address the account named by the Host's
 * first label (or the only account). Reasons go into the error body, never keys, signatures or tokens.
 */
import { parseHttpDate, serviceError } from "@openbatch/core";
import type { AccountRegistry } from "../accounts.js";
import type { BearerTokenVerifier } from "./bearerToken.js";
import { verifySharedKey, type SignableRequest } from "./sharedKey.js";

export interface Authenticator {
  /** Resolves the account name, or throws a 403 ServiceError. */
  authenticate(request: SignableRequest & { readonly host: string | undefined }, now: Date): Promise<string>;
}

function failed(reason: string) {
  return serviceError("AuthenticationFailed", { values: [{ key: "AuthenticationErrorDetail", value: reason }] });
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function createAuthenticator(options: {
  accounts: AccountRegistry;
  bearer: BearerTokenVerifier | undefined;
  clockSkewInSeconds: number;
}): Authenticator {
  return {
    async authenticate(request, now) {
      const authorization = firstHeader(request.headers["authorization"]);
      if (authorization === undefined || authorization === "") throw failed("The Authorization header is missing.");
      const space = authorization.indexOf(" ");
      const scheme = space < 0 ? authorization : authorization.slice(0, space);
      const credentials = space < 0 ? "" : authorization.slice(space + 1).trim();

      if (scheme === "SharedKey") {
        const colon = credentials.lastIndexOf(":");
        const accountName = colon < 0 ? "" : credentials.slice(0, colon);
        const account = options.accounts.get(accountName);
        if (account === undefined) throw failed(`The account '${accountName}' does not exist on this server.`);
        const dateText = firstHeader(request.headers["ocp-date"]) ?? firstHeader(request.headers["date"]);
        const date = dateText === undefined ? undefined : parseHttpDate(dateText);
        if (date === undefined) throw failed("A valid ocp-date (or Date) header is required with SharedKey authentication.");
        if (Math.abs(date.getTime() - now.getTime()) > options.clockSkewInSeconds * 1000) {
          throw failed(`The request time ${dateText} differs from the server time by more than ${options.clockSkewInSeconds} seconds.`);
        }
        if (!verifySharedKey(request, account, credentials.slice(colon + 1))) {
          throw failed("The MAC signature found in the HTTP request is not the same as any computed signature.");
        }
        return account.name;
      }

      if (scheme === "Bearer") {
        if (options.bearer === undefined) throw failed("Bearer tokens are not enabled on this server.");
        const account = options.accounts.forHost(request.host);
        if (account === undefined) throw failed("The request's host does not name an account on this server.");
        try {
          await options.bearer.verify(credentials);
        } catch (error) {
          throw failed(`The bearer token is not valid: ${error instanceof Error ? error.message : "verification failed"}.`);
        }
        return account.name;
      }

      throw failed(`The authentication scheme '${scheme}' is not supported; use SharedKey or Bearer.`);
    },
  };
}
