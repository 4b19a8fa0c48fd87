/**
 * The environment of a process the agent runs on a node (semantics.md §2.7, §2.9). Nothing is inherited from the
 * agent's own environment except `PATH`. Later layers override earlier ones:
 *
 * 1. `USER` (the OS user the agent runs as — processes run as that user; Batch user identities are not switched),
 * 2. the node's `AZ_BATCH_*` variables from the server (`DesiredNode.environment`: account, pool, node, dedicated),
 * 3. the directories: `AZ_BATCH_NODE_ROOT_DIR`, `AZ_BATCH_NODE_SHARED_DIR`, `AZ_BATCH_NODE_STARTUP_DIR`,
 *    `AZ_BATCH_NODE_MOUNTS_DIR`, `AZ_BATCH_TASK_DIR`, `AZ_BATCH_TASK_WORKING_DIR`, `HOME` and `PWD` (= the
 *    working directory), `PATH` = system PATH + shared dir + working dir, `AZ_BATCH_TASK_USER` and
 *    `AZ_BATCH_TASK_USER_IDENTITY` (`PoolNonAdmin` by default, from the task's `userIdentity` otherwise),
 * 4. extra variables of the process kind (job and task ids for job tasks, later),
 * 5. the task's own `environmentSettings` (a missing value is the empty string).
 */
import { delimiter } from "node:path";
import type { EnvironmentSetting, UserIdentity } from "@openbatch/protocol";
import type { NodeLayout } from "./nodeLayout.js";

export interface ProcessEnvironmentInput {
  /** The agent's `PATH`. */
  readonly systemPath: string;
  /** The OS user the agent runs as. */
  readonly userName: string;
  readonly layout: NodeLayout;
  /** `DesiredNode.environment`. */
  readonly nodeEnvironment: Readonly<Record<string, string>>;
  /** The task directory (stdout.txt/stderr.txt) and its working directory. */
  readonly taskDirectory: string;
  readonly workingDirectory: string;
  readonly extra?: Readonly<Record<string, string>>;
  readonly settings?: readonly EnvironmentSetting[];
  readonly userIdentity?: UserIdentity;
}

/** `AZ_BATCH_TASK_USER_IDENTITY` for a user identity (semantics.md §2.8). */
export function userIdentityName(identity: UserIdentity | undefined): string {
  if (identity?.username !== undefined && identity.username !== "") return identity.username;
  const scope = identity?.autoUser?.scope === "task" ? "Task" : "Pool";
  const level = identity?.autoUser?.elevationLevel === "admin" ? "Admin" : "NonAdmin";
  return `${scope}${level}`;
}

export function processEnvironment(input: ProcessEnvironmentInput): Record<string, string> {
  const { layout } = input;
  const path = [input.systemPath, layout.shared, input.workingDirectory].filter((part) => part !== "").join(delimiter);
  const environment: Record<string, string> = {
    USER: input.userName,
    ...input.nodeEnvironment,
    AZ_BATCH_NODE_ROOT_DIR: layout.root,
    AZ_BATCH_NODE_SHARED_DIR: layout.shared,
    AZ_BATCH_NODE_STARTUP_DIR: layout.startup,
    AZ_BATCH_NODE_MOUNTS_DIR: layout.mounts,
    AZ_BATCH_TASK_DIR: input.taskDirectory,
    AZ_BATCH_TASK_WORKING_DIR: input.workingDirectory,
    AZ_BATCH_TASK_USER: input.userName,
    AZ_BATCH_TASK_USER_IDENTITY: userIdentityName(input.userIdentity),
    HOME: input.workingDirectory,
    PWD: input.workingDirectory,
    PATH: path,
    ...input.extra,
  };
  for (const setting of input.settings ?? []) environment[setting.name] = setting.value ?? "";
  return environment;
}
