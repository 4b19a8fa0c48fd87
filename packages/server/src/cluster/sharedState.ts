/**
 * What replicas must hold alike besides the entities, and where it lives (docs/architecture.md, "Replicas"): in
 * the database they all reach, not in a shared directory, so that replicas on several hosts need nothing but the
 * database.
 *
 * - The keys that sign agent tokens and task tokens: a token issued by one replica is checked by another. The first
 *   replica to start stores them; a data directory that already has key files (a deployment that moved from SQLite
 *   with `store copy`) offers its own, so its agents' and tasks' tokens stay good.
 * - The deployment's id, which the replica locks on a shared data directory name (dataDirLock.ts).
 * - Application package zips (applications/packageFiles.ts, `shared`).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PgSharedData } from "@openbatch/store";
import { TaskTokens } from "../auth/taskTokens.js";
import { AgentTokens } from "../nodes/agentTokens.js";

export interface SharedSecrets {
  readonly agentTokens: AgentTokens;
  readonly taskTokens: TaskTokens;
  readonly deployment: string;
}

/** The key file of this data directory, if it has one (a deployment from before replicas). */
function localSecret(dataDir: string, name: string): string | undefined {
  try {
    const value = readFileSync(join(dataDir, name), "utf8").trim();
    return value === "" ? undefined : value;
  } catch {
    return undefined;
  }
}

export async function sharedSecrets(shared: PgSharedData, dataDir: string): Promise<SharedSecrets> {
  const secret = (name: string) => shared.secret(name, localSecret(dataDir, name) ?? randomBytes(32).toString("base64"));
  return {
    agentTokens: AgentTokens.withSecret(await secret("agent-secret")),
    taskTokens: TaskTokens.withSecret(await secret("task-token-secret")),
    deployment: await shared.secret("deployment", randomUUID()),
  };
}
