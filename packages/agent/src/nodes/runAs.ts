/**
 * Who one process of a node runs as, and confined how: the bridge between a run (a start-task attempt, a task
 * assignment) and the agent's isolation (process/sandbox.ts, taskIdentities.ts; docs/security.md).
 *
 * - `accounts` mode: the run's `userIdentity` becomes an OS account (created when first needed); its working
 *   directory is given to that account just before the process starts, and so are the certificate files placed for
 *   it (their directory stays the agent's: no process may swap a file the agent writes for a link). The task
 *   directory itself (stdout.txt, stderr.txt, certs/) stays the agent's, read-only to the process. The node's
 *   `shared` directory is writable by every account of the node, its `/tmp` is sticky (1777).
 * - `sandbox` mode: the process is confined to its node but runs as the agent's user, whatever its identity.
 * - `none`: as `sandbox` without the sandbox.
 * In every mode `AZ_BATCH_TASK_USER_IDENTITY` names the Batch identity and `USER`/`AZ_BATCH_TASK_USER` the OS account
 * the process really runs as, and a user identity naming no user account of the pool fails the run.
 */
import { chmod, chown, lchown, lstat, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { DesiredUserAccount, ProcessOutcome, UserIdentity } from "@openbatch/protocol";
import type { Logger } from "../log.js";
import type { Confinement, Isolation } from "../process/sandbox.js";
import type { NodeLayout } from "./nodeLayout.js";
import { giveTree, type OsAccount } from "./osUserCommands.js";
import { accountNameFor, IdentityError, identityName, identitySpec, type TaskIdentities } from "./taskIdentities.js";

export interface NodeIsolation {
  readonly isolation: Isolation;
  /** Present in `accounts` mode. */
  readonly identities?: TaskIdentities;
  /** The OS user the agent runs as. */
  readonly agentUserName: string;
  /** The agents' data directory (account names depend on it). */
  readonly dataDirectory: string;
}

export interface RunNode {
  readonly layout: NodeLayout;
  readonly poolId: string;
  readonly nodeId: string;
  /** The Batch account of the node's pool. */
  readonly account: string;
  readonly userAccounts: readonly DesiredUserAccount[] | undefined;
}

export interface RunAs {
  /** `USER` and `AZ_BATCH_TASK_USER`: the OS account the process runs as. */
  readonly userName: string;
  /** `AZ_BATCH_TASK_USER_IDENTITY`. */
  readonly identityName: string;
  /** The identity is an admin (root in a container, as on Azure). */
  readonly elevated: boolean;
  readonly confinement?: Confinement;
  /** Gives the run's working directory and its certificate files to its account (accounts mode). */
  own(taskDirectory: string, workingDirectory: string): Promise<void>;
  /** Lets go of the run's account: a task-scope identity's account is deleted. */
  release(): Promise<void>;
}

/** The node's `/tmp` inside a sandbox. */
export function nodeTmpDirectory(layout: NodeLayout): string {
  return join(layout.volatile, "tmp");
}

/** Makes what every process of an isolated node shares usable by each of its accounts. */
export async function prepareNodeTree(layout: NodeLayout, isolation: Isolation): Promise<void> {
  if (isolation.mode === "none") return;
  const tmp = nodeTmpDirectory(layout);
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  if (isolation.mode !== "accounts") return;
  await chmod(tmp, 0o1777);
  await chmod(layout.shared, 0o777);
}

const noOwner = async (): Promise<void> => {};

/**
 * How a run of `node` with `identity` is to run; `run` names it (a task-scope identity gets an account of its own
 * per run). Throws IdentityError when the identity cannot be had.
 */
export async function runAs(context: NodeIsolation, node: RunNode, identity: UserIdentity | undefined, run: string): Promise<RunAs> {
  const spec = identitySpec(identity, node.userAccounts);
  const name = identityName(spec);
  const { isolation } = context;
  const tools = isolation.tools;
  const elevated = spec.admin;
  if (isolation.mode === "none" || tools === undefined) return { userName: context.agentUserName, identityName: name, elevated, own: noOwner, release: noOwner };
  const base = { tools, nodeRoot: node.layout.root, tmpDirectory: nodeTmpDirectory(node.layout) };
  const identities = context.identities;
  if (isolation.mode === "sandbox" || identities === undefined) {
    return { userName: context.agentUserName, identityName: name, elevated, confinement: base, own: noOwner, release: noOwner };
  }
  const nodeKey = `${node.poolId}/${node.nodeId}`;
  const accountName = accountNameFor({ dataDirectory: context.dataDirectory, account: node.account, poolId: node.poolId }, spec, run);
  const hold = spec.kind === "auto" && spec.scope === "task" ? `${nodeKey}#${run}` : nodeKey;
  const account = await identities.acquire(accountName, hold);
  return {
    userName: account.name,
    identityName: name,
    elevated,
    confinement: { ...base, account: { uid: account.uid, gid: account.gid } },
    own: (taskDirectory, workingDirectory) => giveRun(account, taskDirectory, workingDirectory),
    release: hold === nodeKey ? noOwner : () => identities.release(accountName, hold),
  };
}

/**
 * `runAs`, or the failure that ends the run when its identity cannot be had: a user the pool does not have or an
 * account name taken by someone else (usererror), useradd failing (servererror, logged).
 */
export async function runAsOrFailure(
  context: NodeIsolation,
  node: RunNode,
  identity: UserIdentity | undefined,
  run: string,
  logger: Logger,
): Promise<RunAs | { readonly failure: NonNullable<ProcessOutcome["failure"]> }> {
  try {
    return await runAs(context, node, identity, run);
  } catch (error) {
    if (error instanceof IdentityError) return { failure: { code: "CommandLaunchFailed", message: error.message } };
    logger.log("error", "could not prepare the OS account of a run", { run, error });
    return { failure: { code: "CommandLaunchFailed", category: "servererror", message: `The agent could not prepare the process's user account: ${(error as Error).message}` } };
  }
}

/**
 * Gives a tree no process but the agent's could have written to (it belongs to the agent: made in this run) to the
 * account, in-process: without a writer to race, walking it by path is safe, and a `chown` process per run would
 * cost a fork of the agent.
 */
async function giveFreshTree(directory: string, account: OsAccount): Promise<void> {
  await lchown(directory, account.uid, account.gid);
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) await giveFreshTree(path, account);
    else await lchown(path, account.uid, account.gid);
  }
}

async function giveRun(account: OsAccount, taskDirectory: string, workingDirectory: string): Promise<void> {
  const info = await lstat(workingDirectory);
  if (info.isDirectory() && (info.uid !== account.uid || info.gid !== account.gid)) {
    // Another account's tree (a retry of a task-scope run) may have a writer left: GNU chown walks it safely.
    if (info.uid === process.getuid?.()) await giveFreshTree(workingDirectory, account);
    else await giveTree(workingDirectory, account);
  }
  const certificates = join(taskDirectory, "certs");
  const entries = await readdir(certificates).catch(() => [] as string[]);
  if (entries.length === 0) return;
  // The directory stays the agent's (so the files it writes there are its own); the files become the account's.
  await chmod(certificates, 0o755);
  for (const entry of entries) await chown(join(certificates, entry), account.uid, account.gid);
}
