/**
 * `openbatch task …`, named as `az batch task …` is: create (one task from flags or a JSON object; many from a
 * JSON array or `{"value": [...]}` through addCollection, with a progress bar), list, show, reset (update),
 * delete, stop (terminate), reactivate, subtask list, file list|show|download|delete. `task wait` and
 * `task logs` are in watch.ts.
 */
import { Command } from "commander";
import { toArray, type TaskAddParameter, type TaskUpdateParameter } from "@openbatch/client";
import { flags, requestBody, requireOptions } from "../framework/body.js";
import { UsageError } from "../framework/errors.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { applicationPackageReferences, compact, duration, integer, nameValues, resourceFiles, section, wholeNumber } from "../framework/parse.js";
import { progressBar } from "../framework/progress.js";
import { addFileCommands } from "./files.js";
import { subtaskRows, taskAddRows, taskRows } from "./tables.js";

const job = (invocation: Invocation) => invocation.ids["jobId"] as string;
const task = (invocation: Invocation) => invocation.ids["taskId"] as string;

interface TaskFlags {
  taskId?: string;
  commandLine?: string;
  resourceFiles?: { filePath: string; httpUrl: string }[];
  environmentSettings?: { name: string; value: string }[];
  affinityId?: string;
  maxWallClockTime?: string;
  retentionTime?: string;
  maxTaskRetryCount?: number;
  applicationPackageReferences?: { applicationId: string; version?: string }[];
  requiredSlots?: number;
}

function constraintFlags(command: Command): Command {
  return command
    .option("--max-wall-clock-time <duration>", "the longest the task may run (ISO-8601)", duration)
    .option("--retention-time <duration>", "how long its directory is kept after it completes (ISO-8601, default P7D)", duration)
    .option("--max-task-retry-count <n>", "retries after a non-zero exit (-1: no limit)", integer);
}

const constraintsOf = (options: TaskFlags) =>
  section({ maxWallClockTime: options.maxWallClockTime, retentionTime: options.retentionTime, maxTaskRetryCount: options.maxTaskRetryCount });

/** The tasks a --json-file holds: one object, an array, or a TaskAddCollectionParameter (`{"value": [...]}`). */
function tasksOfFile(json: unknown): { single: TaskAddParameter } | { many: TaskAddParameter[] } {
  if (Array.isArray(json)) return { many: json as TaskAddParameter[] };
  if (json !== null && typeof json === "object") {
    const value = (json as { value?: unknown }).value;
    if (Array.isArray(value) && (json as { id?: unknown }).id === undefined) return { many: value as TaskAddParameter[] };
    return { single: json as TaskAddParameter };
  }
  throw new UsageError("--json-file must hold a task (the body of Task - Add), an array of tasks, or {\"value\": [tasks]}.");
}

/** Adds tasks through addCollection, drawing the upload's progress on a terminal. */
export async function addTasks(invocation: Invocation, jobId: string, tasks: readonly TaskAddParameter[]) {
  const bar = progressBar(invocation.terminal, `Adding tasks to ${jobId} [{bar}] {percentage}% | {value}/{total}`);
  bar.update(0, tasks.length);
  try {
    const result = await invocation.client().task.addCollection(jobId, tasks, {
      concurrency: 4,
      abortSignal: invocation.signal,
      onProgress: (progress) => bar.update(progress.added + progress.failed, progress.total),
    });
    return result.value ?? [];
  } finally {
    bar.stop();
  }
}

export function taskCommand(): Command {
  const tasks = new Command("task").description("Manage Batch tasks.");

  leaf(tasks, "create", "Create a task, or many from a --json-file (an array, or {\"value\": [...]}).")
    .ids("job-id")
    .jsonFile("the task, or an array of tasks")
    .options((command) =>
      constraintFlags(
        command
          .option("--task-id <id>", "the task's id (required without --json-file)")
          .option("--command-line <command>", "the command (not run under a shell: use /bin/sh -c '…'; required without --json-file)")
          .option("--resource-files <filename=httpurl...>", "files downloaded to the task's directory first", resourceFiles)
          .option("--environment-settings <name=value...>", "environment variables of the task", nameValues)
          .option("--affinity-id <id>", "prefer the node with this affinity id (a node id)")
          .option("--application-package-references <id[#version]...>", "application packages the task needs", applicationPackageReferences)
          .option("--required-slots <n>", "slots the task takes on its node (default 1)", wholeNumber),
      ),
    )
    .table((value) => (Array.isArray(value) ? taskAddRows(value) : taskRows(value)))
    .action(async (invocation) => {
      const options = flags<TaskFlags>(invocation);
      const json = invocation.jsonFile();
      const parsed =
        json === undefined
          ? (() => {
              requireOptions(invocation, "taskId", "commandLine");
              return {
                single: compact({
                  id: options.taskId,
                  commandLine: options.commandLine,
                  resourceFiles: options.resourceFiles,
                  environmentSettings: options.environmentSettings,
                  affinityInfo: options.affinityId === undefined ? undefined : { affinityId: options.affinityId },
                  constraints: constraintsOf(options),
                  applicationPackageReferences: options.applicationPackageReferences,
                  requiredSlots: options.requiredSlots,
                }) as TaskAddParameter,
              };
            })()
          : tasksOfFile(json);
      if ("many" in parsed) return addTasks(invocation, job(invocation), parsed.many);
      await invocation.client().task.add(job(invocation), parsed.single);
      return invocation.client().task.get(job(invocation), parsed.single.id);
    });

  leaf(tasks, "list", "List the tasks of a job.")
    .ids("job-id")
    .listQuery("filter", "select", "expand")
    .table(taskRows)
    .action((invocation) => toArray(invocation.client().task.list(job(invocation), invocation.listOptions())));

  leaf(tasks, "show", "Get information about a task.")
    .ids("job-id", "task-id")
    .listQuery("select", "expand")
    .conditions()
    .action((invocation) => {
      const { select, expand } = invocation.listOptions();
      return invocation.client().task.get(job(invocation), task(invocation), compact({ select, expand, ...invocation.conditions() }));
    });

  leaf(tasks, "reset", "Replace a task's constraints; what is not given is reset to its default.")
    .alias("update")
    .ids("job-id", "task-id")
    .jsonFile("the task's new constraints")
    .options(constraintFlags)
    .conditions()
    .action(async (invocation) => {
      const body = requestBody<TaskUpdateParameter>(invocation, "Task - Update", () => compact({ constraints: constraintsOf(flags<TaskFlags>(invocation)) }));
      await invocation.client().task.update(job(invocation), task(invocation), body, invocation.conditions());
      return invocation.client().task.get(job(invocation), task(invocation));
    });

  leaf(tasks, "delete", "Delete a task (and its files).")
    .ids("job-id", "task-id")
    .confirm((ids) => `The task '${ids["taskId"]}' will be deleted.`)
    .conditions()
    .action(async (invocation) => {
      await invocation.client().task.delete(job(invocation), task(invocation), invocation.conditions());
      return undefined;
    });

  leaf(tasks, "stop", "Terminate a task: its process ends and it completes.")
    .alias("terminate")
    .ids("job-id", "task-id")
    .conditions()
    .action(async (invocation) => {
      await invocation.client().task.terminate(job(invocation), task(invocation), invocation.conditions());
      return undefined;
    });

  leaf(tasks, "reactivate", "Make a failed task run again, whatever its retry count.")
    .ids("job-id", "task-id")
    .conditions()
    .action(async (invocation) => {
      await invocation.client().task.reactivate(job(invocation), task(invocation), invocation.conditions());
      return undefined;
    });

  const subtask = tasks.command("subtask").description("Manage the subtasks of a multi-instance task.");
  leaf(subtask, "list", "List the subtasks of a multi-instance task.")
    .ids("job-id", "task-id")
    .listQuery("select")
    .table(subtaskRows)
    .action((invocation) => {
      const { select } = invocation.listOptions();
      return invocation.client().task.listSubtasks(job(invocation), task(invocation), compact({ select }));
    });

  addFileCommands(tasks, {
    noun: "task",
    ids: ["job-id", "task-id"],
    list: (invocation, options) => invocation.client().file.listFromTask(job(invocation), task(invocation), options),
    get: (invocation, path, options) => invocation.client().file.getFromTask(job(invocation), task(invocation), path, options),
    properties: (invocation, path, options) => invocation.client().file.getPropertiesFromTask(job(invocation), task(invocation), path, options),
    remove: (invocation, path, options) => invocation.client().file.deleteFromTask(job(invocation), task(invocation), path, options),
  });

  return tasks;
}
