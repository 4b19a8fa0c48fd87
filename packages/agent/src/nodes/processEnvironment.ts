/**
 * The environment of a process the agent runs on a node (semantics.md §2.7, §2.9). Nothing is inherited from the
 * agent's own environment except `PATH`. Later layers override earlier ones:
 *
 * 1. `USER` (the OS account the process runs as: its identity's account when the agent isolates tasks as root,
 *    otherwise the agent's own user — nodes/runAs.ts),
 * 2. the node's `AZ_BATCH_*` variables from the server (`DesiredNode.environment`: account, pool, node, dedicated),
 * 3. the directories: `AZ_BATCH_NODE_ROOT_DIR`, `AZ_BATCH_NODE_SHARED_DIR`, `AZ_BATCH_NODE_STARTUP_DIR`,
 *    `AZ_BATCH_NODE_MOUNTS_DIR`, `AZ_BATCH_TASK_DIR`, `AZ_BATCH_TASK_WORKING_DIR`, `HOME` and `PWD` (= the
 *    working directory), `PATH` = system PATH + shared dir + working dir, `AZ_BATCH_TASK_USER` (= `USER`) and
 *    `AZ_BATCH_TASK_USER_IDENTITY` (`PoolNonAdmin` by default, from the task's `userIdentity` otherwise),
 * 4. extra variables of the process kind (job and task ids for job tasks, later),
 * 5. the task's own `environmentSettings` (a missing value is the empty string).
 */
import { delimiter } from "node:path";
import type { EnvironmentSetting } from "@openbatch/protocol";
import type { NodeLayout } from "./nodeLayout.js";

export interface ProcessEnvironmentInput {
  /** The agent's `PATH`. */
  readonly systemPath: string;
  /** The OS account the process runs as. */
  readonly userName: string;
  /** Its Batch identity (`PoolNonAdmin`, …, or a user's name): nodes/taskIdentities.ts `identityName`. */
  readonly identityName: string;
  readonly layout: NodeLayout;
  /** `DesiredNode.environment`. */
  readonly nodeEnvironment: Readonly<Record<string, string>>;
  /** The task directory (stdout.txt/stderr.txt) and its working directory. */
  readonly taskDirectory: string;
  readonly workingDirectory: string;
  readonly extra?: Readonly<Record<string, string>>;
  readonly settings?: readonly EnvironmentSetting[];
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
    AZ_BATCH_TASK_USER_IDENTITY: input.identityName,
    HOME: input.workingDirectory,
    PWD: input.workingDirectory,
    PATH: path,
    ...input.extra,
  };
  for (const setting of input.settings ?? []) environment[setting.name] = setting.value ?? "";
  return environment;
}
