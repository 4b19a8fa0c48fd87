/**
 * The authentication stage: decides which account a request acts for, or refuses it with 403
 * AuthenticationFailed. SharedKey names its account in the header and must carry an `ocp-date` (or `Date`)
 * within the configured skew; Bearer tokens are verified as JWTs and address the account named by the Host's
 * first label (or the only account), except the server's own task tokens (taskTokens.ts), which name their account
 * and job. Reasons go into the error body, never keys, signatures or tokens.
 */
import { parseHttpDate, serviceError } from "@openbatch/core";
import type { AccountRegistry } from "../accounts.js";
import { firstHeader } from "../http/headers.js";
import type { BearerTokenVerifier } from "./bearerToken.js";
import { verifySharedKey, type SignableRequest } from "./sharedKey.js";
import { TaskTokens, type Principal } from "./taskTokens.js";

export interface Authenticator {
  /** Resolves whom the request acts for, or throws a 403 ServiceError. */
  authenticate(request: SignableRequest & { readonly host: string | undefined }, now: Date): Promise<Principal>;
}

function failed(reason: string) {
  return serviceError("AuthenticationFailed", { values: [{ key: "AuthenticationErrorDetail", value: reason }] });
}

export function createAuthenticator(options: {
  accounts: AccountRegistry;
  bearer: BearerTokenVerifier | undefined;
  taskTokens?: TaskTokens;
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
        return { account: account.name };
      }

      if (scheme === "Bearer" && options.taskTokens !== undefined && TaskTokens.claimsToBeOne(credentials)) {
        let principal: Principal;
        try {
          principal = await options.taskTokens.verify(credentials, now);
        } catch (error) {
          throw failed(`The task authentication token is not valid: ${error instanceof Error ? error.message : "verification failed"}.`);
        }
        const account = options.accounts.get(principal.account);
        if (account === undefined) throw failed(`The account '${principal.account}' does not exist on this server.`);
        return { account: account.name, ...(principal.jobId === undefined ? {} : { jobId: principal.jobId }) };
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
        return { account: account.name };
      }

      // A header without a scheme may be a bare token or key: name the scheme only when it looks like one.
      const named = /^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(scheme) && credentials !== "" ? ` '${scheme}'` : "";
      throw failed(`The authentication scheme${named} is not supported; use SharedKey or Bearer.`);
    },
  };
}
