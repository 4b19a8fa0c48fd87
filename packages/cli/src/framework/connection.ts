/**
 * Which server, account and key a command uses. Each of the three is taken from the first place that has it:
 *   1. the flags (--endpoint, --account, --key; az's --account-endpoint, --account-name, --account-key too),
 *   2. a profile named with --profile,
 *   3. the environment: OPENBATCH_ENDPOINT / OPENBATCH_ACCOUNT / OPENBATCH_KEY, then az's AZURE_BATCH_ENDPOINT /
 *      AZURE_BATCH_ACCOUNT / AZURE_BATCH_ACCESS_KEY,
 *   4. the default profile saved by `openbatch login` ($OPENBATCH_PROFILE picks another),
 *   5. the local development server: http://127.0.0.1:8090, account devbatch and its public key.
 * Each field remembers where it came from, for `openbatch config show` and for the hint after a refused key.
 */
import { defaultLocalEndpoint, developmentAccount } from "@openbatch/core";
import { UsageError } from "./errors.js";
import { nonEmpty, readProfiles, selectedProfile, type Profile } from "./profiles.js";

export interface ConnectionFlags {
  readonly endpoint?: string;
  readonly account?: string;
  readonly key?: string;
  readonly profile?: string;
}

export interface Connection {
  readonly endpoint: string;
  readonly account: string;
  readonly key: string;
  /** Where each field came from ("--key", "AZURE_BATCH_ACCESS_KEY", "profile 'work'", "the development account"). */
  readonly sources: { readonly endpoint: string; readonly account: string; readonly key: string };
  /** The profile that supplied anything, and its settings. */
  readonly profile: { readonly name: string; readonly settings: Profile } | undefined;
}

type Field = "endpoint" | "account" | "key";

const environment: Record<Field, readonly string[]> = {
  endpoint: ["OPENBATCH_ENDPOINT", "AZURE_BATCH_ENDPOINT"],
  account: ["OPENBATCH_ACCOUNT", "AZURE_BATCH_ACCOUNT"],
  key: ["OPENBATCH_KEY", "AZURE_BATCH_ACCESS_KEY"],
};

const flagNames: Record<Field, string> = { endpoint: "--endpoint", account: "--account", key: "--key" };
const developmentDefaults: Record<Field, string> = { endpoint: defaultLocalEndpoint, account: developmentAccount.name, key: developmentAccount.key };

export function resolveConnection(flags: ConnectionFlags): Connection {
  const file = readProfiles();
  const explicit = flags.profile === undefined ? undefined : selectedProfile(file, flags.profile);
  const saved = flags.profile === undefined ? selectedProfile(file, undefined) : undefined;
  let usedProfile: { name: string; settings: Profile } | undefined;
  const pick = (field: Field): { value: string; source: string } => {
    const flag = nonEmpty(flags[field]);
    if (flag !== undefined) return { value: flag, source: flagNames[field] };
    const fromProfile = (chosen: { name: string; profile: Profile } | undefined) => {
      const value = nonEmpty(chosen?.profile[field]);
      if (chosen === undefined || value === undefined) return undefined;
      usedProfile = { name: chosen.name, settings: chosen.profile };
      return { value, source: `profile '${chosen.name}'` };
    };
    const named = fromProfile(explicit);
    if (named !== undefined) return named;
    for (const variable of environment[field]) {
      const value = nonEmpty(process.env[variable]);
      if (value !== undefined) return { value, source: variable };
    }
    const remembered = fromProfile(saved);
    if (remembered !== undefined) return remembered;
    return { value: developmentDefaults[field], source: field === "endpoint" ? "the local default" : "the development account" };
  };
  const endpoint = pick("endpoint");
  const account = pick("account");
  const key = pick("key");
  let url: URL;
  try {
    url = new URL(endpoint.value);
  } catch {
    throw new UsageError(`the endpoint '${endpoint.value}' (from ${endpoint.source}) is not a URL such as http://127.0.0.1:8090.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`the endpoint '${endpoint.value}' (from ${endpoint.source}) must start with http:// or https://.`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key.value)) {
    throw new UsageError(`the account key (from ${key.source}) is not base64; it is the key the server was started with (--account NAME:KEY).`);
  }
  return {
    endpoint: endpoint.value.replace(/\/+$/, ""),
    account: account.value,
    key: key.value,
    sources: { endpoint: endpoint.source, account: account.source, key: key.source },
    profile: usedProfile,
  };
}

/** The key as `openbatch config show` prints it: enough to recognise, not enough to use. */
export function maskKey(key: string): string {
  return key.length <= 8 ? "****" : `${key.slice(0, 4)}…${key.slice(-4)}`;
}
