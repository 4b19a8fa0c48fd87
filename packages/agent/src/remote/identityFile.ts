/**
 * What an agent that joined a pool remembers in its work directory (`identity.json`, mode 0600): the server, its
 * pool and its own agent id and credential. A restarted agent reads it and carries on as the same agent (its
 * nodes, its local state, what finished while it was down), without the join token; the file goes when the server
 * retires the agent. The join token itself is never written anywhere.
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface AgentIdentityFile {
  readonly serverUrl: string;
  readonly account: string;
  readonly poolId: string;
  readonly agentId: string;
  readonly token: string;
}

export function identityPath(workDirectory: string): string {
  return join(workDirectory, "identity.json");
}

export async function readIdentity(workDirectory: string): Promise<AgentIdentityFile | undefined> {
  let text: string;
  try {
    text = await readFile(identityPath(workDirectory), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<AgentIdentityFile>;
  const fields = ["serverUrl", "account", "poolId", "agentId", "token"] as const;
  if (fields.some((field) => typeof parsed[field] !== "string")) throw new Error(`${identityPath(workDirectory)} is not an agent identity; remove it to join again.`);
  return parsed as AgentIdentityFile;
}

export async function writeIdentity(workDirectory: string, identity: AgentIdentityFile): Promise<void> {
  const path = identityPath(workDirectory);
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

export async function removeIdentity(workDirectory: string): Promise<void> {
  await rm(identityPath(workDirectory), { force: true });
}
