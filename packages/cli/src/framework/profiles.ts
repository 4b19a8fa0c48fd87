/**
 * Saved connections (`openbatch login`, `openbatch config`): one JSON file, readable by its owner only (0600, in a
 * 0700 directory), since it holds account keys. Location: $OPENBATCH_CONFIG_DIR, else $XDG_CONFIG_HOME/openbatch,
 * else ~/.config/openbatch; the file is config.json.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "./errors.js";

export interface Profile {
  readonly endpoint?: string;
  readonly account?: string;
  readonly key?: string;
  /** The default --output for this profile. */
  readonly output?: string;
}

export interface ProfilesFile {
  readonly defaultProfile?: string;
  readonly profiles: Readonly<Record<string, Profile>>;
}

export const profileFields = ["endpoint", "account", "key", "output"] as const;

export function configDirectory(): string {
  const explicit = process.env["OPENBATCH_CONFIG_DIR"];
  if (explicit !== undefined && explicit !== "") return explicit;
  const xdg = process.env["XDG_CONFIG_HOME"];
  return join(xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".config"), "openbatch");
}

export function configPath(): string {
  return join(configDirectory(), "config.json");
}

export function readProfiles(): ProfilesFile {
  let text: string;
  try {
    text = readFileSync(configPath(), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { profiles: {} };
    throw new UsageError(`cannot read ${configPath()}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as ProfilesFile;
    if (parsed === null || typeof parsed !== "object" || typeof parsed.profiles !== "object" || parsed.profiles === null) throw new Error("no `profiles` object");
    return parsed;
  } catch (error) {
    throw new UsageError(`${configPath()} is not a valid openbatch configuration (${(error as Error).message}); fix or delete it.`);
  }
}

/** Writes the whole file atomically, owner-only. */
export function writeProfiles(file: ProfilesFile): string {
  const directory = configDirectory();
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const path = configPath();
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return path;
}

/** The profile in use: the one named, else $OPENBATCH_PROFILE, else the file's default. */
export function selectedProfile(file: ProfilesFile, name: string | undefined): { name: string; profile: Profile } | undefined {
  const wanted = name ?? nonEmpty(process.env["OPENBATCH_PROFILE"]) ?? file.defaultProfile;
  if (wanted === undefined) return undefined;
  const profile = file.profiles[wanted];
  if (profile === undefined) {
    if (name !== undefined || nonEmpty(process.env["OPENBATCH_PROFILE"]) !== undefined) {
      const known = Object.keys(file.profiles);
      throw new UsageError(`there is no profile '${wanted}'${known.length === 0 ? "" : ` (profiles: ${known.join(", ")})`}; save one with \`openbatch login --profile ${wanted}\`.`);
    }
    return undefined;
  }
  return { name: wanted, profile };
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
