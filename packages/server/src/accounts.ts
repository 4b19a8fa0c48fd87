/**
 * Batch accounts served by this server. Each is a name and one or more base64 keys (either key signs); every
 * stored row belongs to exactly one account.
 *
 * With none configured the server serves the well-known development account below — like Azurite's
 * devstoreaccount1 — and refuses to bind to anything but loopback with it, since its key is public.
 */
import { readFileSync, statSync } from "node:fs";

export interface Account {
  readonly name: string;
  /** Decoded key bytes; a request signed with any of them is accepted. */
  readonly keys: readonly Buffer[];
}

export { developmentAccount } from "@openbatch/core";

const accountNamePattern = /^[a-z0-9]{3,24}$/;

/** Parses `NAME:BASE64KEY` (the `--account` option and `OPENBATCH_ACCOUNTS`, comma-separated). */
export function parseAccountSpec(spec: string): { name: string; key: string } {
  const separator = spec.indexOf(":");
  // Without a ':' the value may be a bare key: say what is wrong without repeating it (it would land in logs).
  if (separator < 0) throw new Error("An account (--account or OPENBATCH_ACCOUNTS) must have the form NAME:BASE64KEY; one has no ':'");
  const name = spec.slice(0, separator);
  const key = spec.slice(separator + 1);
  if (!accountNamePattern.test(name)) {
    throw new Error(`Account name '${name}' must be 3-24 lower-case letters and digits, as Azure Batch account names are`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || Buffer.from(key, "base64").length < 16) {
    throw new Error(`The key of account '${name}' must be base64 of at least 16 bytes`);
  }
  return { name, key };
}

/**
 * Reads an accounts file (`--accounts-file`): one `NAME:BASE64KEY` per line, blank lines and `#` comments ignored.
 * Keys given this way appear in no process's command line or environment. The file must not be readable by other
 * users (like an SSH private key), or it is refused.
 */
export function readAccountsFile(path: string): { name: string; key: string }[] {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`The accounts file '${path}' cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if ((mode & 0o077) !== 0) {
    throw new Error(`The accounts file '${path}' holds account keys but other users may read it (mode ${(mode & 0o777).toString(8)}); make it private: chmod 600 '${path}'`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map(parseAccountSpec);
}

export class AccountRegistry {
  private readonly byName = new Map<string, Account>();

  constructor(accounts: readonly { name: string; key: string }[]) {
    for (const { name, key } of accounts) {
      const existing = this.byName.get(name);
      const decoded = Buffer.from(key, "base64");
      this.byName.set(name, { name, keys: existing === undefined ? [decoded] : [...existing.keys, decoded] });
    }
  }

  get(name: string): Account | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The account a request without an account name in its credentials addresses (Bearer tokens). */
  forHost(host: string | undefined): Account | undefined {
    const label = host?.split(".")[0]?.toLowerCase();
    const named = label === undefined ? undefined : this.byName.get(label);
    if (named !== undefined) return named;
    return this.byName.size === 1 ? this.byName.values().next().value : undefined;
  }
}
