/**
 * `openbatch job …`, named as `az batch job …` is: create, list, show, set (update), reset, delete, disable,
 * enable, stop (terminate), task-counts show, prep-release-status list. `job wait` is in watch.ts.
 */
import { Command, Option } from "commander";
import {
  DisableJobOptionValues,
  OnAllTasksCompleteValues,
  OnTaskFailureValues,
  toArray,
  type JobAddParameter,
  type JobPatchParameter,
  type JobUpdateParameter,
} from "@openbatch/client";
import { flags, requestBody, requireOptions } from "../framework/body.js";
import { UsageError } from "../framework/errors.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { applicationPackageReferences, compact, duration, integer, nameValues, resourceFiles, section, wholeNumber } from "../framework/parse.js";
import { jobRows, prepReleaseRows, taskCountRows } from "./tables.js";

export interface JobFlags {
  id?: string;
  poolId?: string;
  priority?: number;
  maxParallelTasks?: number;
  allowTaskPreemption?: boolean;
  usesTaskDependencies?: boolean;
  onAllTasksComplete?: string;
  onTaskFailure?: string;
  metadata?: { name: string; value: string }[];
  jobMaxTaskRetryCount?: number;
  jobMaxWallClockTime?: string;
  jobManagerTaskId?: string;
  jobManagerTaskCommandLine?: string;
  jobManagerTaskEnvironmentSettings?: { name: string; value: string }[];
  jobManagerTaskResourceFiles?: { filePath: string; httpUrl: string }[];
  jobManagerTaskApplicationPackageReferences?: { applicationId: string; version?: string }[];
  requiredSlots?: number;
  environmentSettings?: { name: string; value: string }[];
}

/** The flags of a job's settings, shared by job create/set/reset and job-schedule create/set/reset. */
export function jobSettingFlags(command: Command, options: { withManager: boolean; withDependencies: boolean }): Command {
  command
    .option("--pool-id <id>", "the pool the job's tasks run on")
    .option("--priority <n>", "the job's priority, -1000 to 1000 (default 0)", integer)
    .option("--max-parallel-tasks <n>", "the most tasks of the job that run at once (-1: no limit)", integer)
    .option("--allow-task-preemption", "let tasks of higher-priority jobs preempt this job's tasks")
    .addOption(new Option("--on-all-tasks-complete <action>", "what happens when every task has completed").choices(OnAllTasksCompleteValues))
    .addOption(new Option("--on-task-failure <action>", "what happens when a task fails").choices(OnTaskFailureValues))
    .option("--metadata <name=value...>", "metadata of the job", nameValues)
    .option("--job-max-task-retry-count <n>", "retries of each task (-1: no limit)", integer)
    .option("--job-max-wall-clock-time <duration>", "the longest the job may run (ISO-8601)", duration);
  if (options.withDependencies) command.option("--uses-task-dependencies", "tasks of the job may depend on each other");
  if (options.withManager) {
    command
      .option("--job-manager-task-id <id>", "the job manager task's id")
      .option("--job-manager-task-command-line <command>", "the job manager task's command line")
      .option("--job-manager-task-environment-settings <name=value...>", "the job manager task's environment", nameValues)
      .option("--job-manager-task-resource-files <filename=httpurl...>", "files downloaded for the job manager task", resourceFiles)
      .option("--job-manager-task-application-package-references <id[#version]...>", "packages for the job manager task", applicationPackageReferences)
      .option("--required-slots <n>", "slots the job manager task takes", wholeNumber);
  }
  return command;
}

/** The job fields the setting flags give (undefined ones left out). */
export function jobSettings(options: JobFlags) {
  const manager =
    options.jobManagerTaskCommandLine === undefined
      ? undefined
      : compact({
          id: options.jobManagerTaskId ?? "JobManager",
          commandLine: options.jobManagerTaskCommandLine,
          environmentSettings: options.jobManagerTaskEnvironmentSettings,
          resourceFiles: options.jobManagerTaskResourceFiles,
          applicationPackageReferences: options.jobManagerTaskApplicationPackageReferences,
          requiredSlots: options.requiredSlots,
        });
  return compact({
    priority: options.priority,
    maxParallelTasks: options.maxParallelTasks,
    allowTaskPreemption: options.allowTaskPreemption,
    constraints: section({ maxTaskRetryCount: options.jobMaxTaskRetryCount, maxWallClockTime: options.jobMaxWallClockTime }),
    jobManagerTask: manager,
    poolInfo: options.poolId === undefined ? undefined : { poolId: options.poolId },
    onAllTasksComplete: options.onAllTasksComplete,
    onTaskFailure: options.onTaskFailure,
    metadata: options.metadata,
    usesTaskDependencies: options.usesTaskDependencies,
  });
}

const job = (invocation: Invocation) => invocation.ids["jobId"] as string;

export function jobCommand(): Command {
  const jobs = new Command("job").description("Manage Batch jobs.");

  leaf(jobs, "create", "Add a job to the account (flags for the common fields, --json-file for the whole model).")
    .jsonFile("the job")
    .options((command) => {
      command.option("--id <id>", "the job's id (required without --json-file)");
      jobSettingFlags(command, { withManager: true, withDependencies: true });
      command.option("--environment-settings <name=value...>", "environment variables of every task of the job", nameValues);
    })
    .table(jobRows)
    .action(async (invocation) => {
      const options = flags<JobFlags>(invocation);
      const body = requestBody<JobAddParameter>(invocation, "Job - Add", () => {
        requireOptions(invocation, "id", "poolId");
        return { id: options.id as string, ...jobSettings(options), ...compact({ commonEnvironmentSettings: options.environmentSettings }) } as JobAddParameter;
      });
      await invocation.client().job.add(body);
      return invocation.client().job.get(body.id);
    });

  leaf(jobs, "list", "List the jobs of the account, or of one job schedule.")
    .listQuery("filter", "select", "expand")
    .options((command) => command.option("--job-schedule-id <id>", "only the jobs this schedule made"))
    .table(jobRows)
    .action((invocation) => {
      const schedule = flags<{ jobScheduleId?: string }>(invocation).jobScheduleId;
      const list = invocation.listOptions();
      return toArray(schedule === undefined ? invocation.client().job.list(list) : invocation.client().job.listFromJobSchedule(schedule, list));
    });

  leaf(jobs, "show", "Get information about a job.")
    .ids("job-id")
    .listQuery("select", "expand")
    .conditions()
    .action((invocation) => {
      const { select, expand } = invocation.listOptions();
      return invocation.client().job.get(job(invocation), compact({ select, expand, ...invocation.conditions() }));
    });

  leaf(jobs, "set", "Update the properties of a job; what is not given is left as it is (PATCH).")
    .alias("update")
    .ids("job-id")
    .jsonFile("the update")
    .options((command) => jobSettingFlags(command, { withManager: false, withDependencies: false }))
    .conditions()
    .action(async (invocation) => {
      const body = requestBody<JobPatchParameter>(invocation, "Job - Patch", () => {
        const patch = jobSettings(flags<JobFlags>(invocation));
        if (Object.keys(patch).length === 0) throw new UsageError("nothing to update: give a flag such as --priority or --pool-id, or --json-file.");
        return patch as JobPatchParameter;
      });
      await invocation.client().job.patch(job(invocation), body, invocation.conditions());
      return invocation.client().job.get(job(invocation));
    });

  leaf(jobs, "reset", "Replace the updatable properties of a job; what is not given is reset to its default (PUT).")
    .ids("job-id")
    .jsonFile("the new properties")
    .options((command) => jobSettingFlags(command, { withManager: false, withDependencies: false }))
    .conditions()
    .action(async (invocation) => {
      const body = requestBody<JobUpdateParameter>(invocation, "Job - Update", () => {
        requireOptions(invocation, "poolId");
        return jobSettings(flags<JobFlags>(invocation)) as JobUpdateParameter;
      });
      await invocation.client().job.update(job(invocation), body, invocation.conditions());
      return invocation.client().job.get(job(invocation));
    });

  leaf(jobs, "delete", "Delete a job and its tasks.")
    .ids("job-id")
    .confirm((ids) => `The job '${ids["jobId"]}' and its tasks will be deleted.`)
    .conditions()
    .action(async (invocation) => {
      await invocation.client().job.delete(job(invocation), invocation.conditions());
      return undefined;
    });

  leaf(jobs, "disable", "Disable a job: no new task starts.")
    .ids("job-id")
    .options((command) => command.addOption(new Option("--disable-tasks <option>", "what happens to running tasks (default requeue)").choices(DisableJobOptionValues).default("requeue")))
    .conditions()
    .action(async (invocation) => {
      await invocation.client().job.disable(job(invocation), flags<{ disableTasks: string }>(invocation).disableTasks, invocation.conditions());
      return undefined;
    });

  leaf(jobs, "enable", "Enable a disabled job.")
    .ids("job-id")
    .conditions()
    .action(async (invocation) => {
      await invocation.client().job.enable(job(invocation), invocation.conditions());
      return undefined;
    });

  leaf(jobs, "stop", "Terminate a job: its running tasks end and it completes.")
    .alias("terminate")
    .ids("job-id")
    .options((command) => command.option("--terminate-reason <text>", "recorded as the job's terminateReason (default UserTerminate)"))
    .conditions()
    .action(async (invocation) => {
      const reason = flags<{ terminateReason?: string }>(invocation).terminateReason;
      await invocation.client().job.terminate(job(invocation), compact({ terminateReason: reason, ...invocation.conditions() }));
      return undefined;
    });

  const counts = jobs.command("task-counts").description("View the number of tasks and slots of a job by state.");
  leaf(counts, "show", "Count the tasks and slots of a job by state.")
    .ids("job-id")
    .table(taskCountRows)
    .action((invocation) => invocation.client().job.getTaskCounts(job(invocation)));

  const prepRelease = jobs.command("prep-release-status").description("View the status of a job's preparation and release tasks.");
  leaf(prepRelease, "list", "List the preparation and release task status of a job on each node it ran on.")
    .ids("job-id")
    .listQuery("filter", "select")
    .table(prepReleaseRows)
    .action((invocation) => {
      const { filter, select } = invocation.listOptions();
      return toArray(invocation.client().job.listPreparationAndReleaseTaskStatus(job(invocation), compact({ filter, select })));
    });

  return jobs;
}
