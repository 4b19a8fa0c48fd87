/**
 * `openbatch job-schedule …`, named as `az batch job-schedule …` is: create, list, show, set (update), reset,
 * delete, disable, enable, stop (terminate).
 */
import { Command } from "commander";
import { toArray, type JobScheduleAddParameter, type JobSchedulePatchParameter, type JobScheduleUpdateParameter } from "@openbatch/client";
import { flags, requestBody, requireOptions } from "../framework/body.js";
import { UsageError } from "../framework/errors.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { compact, dateTime, duration, nameValues, section } from "../framework/parse.js";
import { jobSettingFlags, jobSettings, type JobFlags } from "./job.js";
import { jobScheduleRows } from "./tables.js";

interface ScheduleFlags extends JobFlags {
  doNotRunUntil?: string;
  doNotRunAfter?: string;
  startWindow?: string;
  recurrenceInterval?: string;
  jobMetadata?: { name: string; value: string }[];
}

function scheduleFlags(command: Command): Command {
  command
    .option("--do-not-run-until <time>", "no job before this time (ISO-8601)", dateTime)
    .option("--do-not-run-after <time>", "no job after this time (ISO-8601)", dateTime)
    .option("--start-window <duration>", "how late a job may start after its time (ISO-8601)", duration)
    .option("--recurrence-interval <duration>", "the time between jobs (ISO-8601; none: one job)", duration)
    .option("--job-metadata <name=value...>", "metadata of the jobs it makes", nameValues);
  return jobSettingFlags(command, { withManager: true, withDependencies: true });
}

/** The schedule and job specification the flags give; undefined parts left out. */
function scheduleParts(options: ScheduleFlags) {
  const { metadata: _scheduleMetadata, ...settings } = jobSettings(options);
  void _scheduleMetadata; // --metadata belongs to the schedule itself; --job-metadata to the jobs
  return {
    schedule: section({ doNotRunUntil: options.doNotRunUntil, doNotRunAfter: options.doNotRunAfter, startWindow: options.startWindow, recurrenceInterval: options.recurrenceInterval }),
    jobSpecification: section({ ...settings, metadata: options.jobMetadata }),
  };
}

const schedule = (invocation: Invocation) => invocation.ids["jobScheduleId"] as string;

export function jobScheduleCommand(): Command {
  const schedules = new Command("job-schedule").description("Manage Batch job schedules.");

  leaf(schedules, "create", "Add a job schedule (flags for the common fields, --json-file for the whole model).")
    .jsonFile("the job schedule")
    .options((command) => scheduleFlags(command.option("--id <id>", "the schedule's id (required without --json-file)")))
    .table(jobScheduleRows)
    .action(async (invocation) => {
      const options = flags<ScheduleFlags>(invocation);
      const body = requestBody<JobScheduleAddParameter>(invocation, "Job Schedule - Add", () => {
        requireOptions(invocation, "id", "poolId");
        const parts = scheduleParts(options);
        return compact({ id: options.id, schedule: parts.schedule ?? {}, jobSpecification: parts.jobSpecification, metadata: options.metadata }) as JobScheduleAddParameter;
      });
      await invocation.client().jobSchedule.add(body);
      return invocation.client().jobSchedule.get(body.id);
    });

  leaf(schedules, "list", "List the job schedules of the account.")
    .listQuery("filter", "select", "expand")
    .table(jobScheduleRows)
    .action((invocation) => toArray(invocation.client().jobSchedule.list(invocation.listOptions())));

  leaf(schedules, "show", "Get information about a job schedule.")
    .ids("job-schedule-id")
    .listQuery("select", "expand")
    .conditions()
    .action((invocation) => {
      const { select, expand } = invocation.listOptions();
      return invocation.client().jobSchedule.get(schedule(invocation), compact({ select, expand, ...invocation.conditions() }));
    });

  leaf(schedules, "set", "Update a job schedule; what is not given is left as it is (PATCH). A new job specification applies to new jobs.")
    .alias("update")
    .ids("job-schedule-id")
    .jsonFile("the update")
    .options(scheduleFlags)
    .conditions()
    .action(async (invocation) => {
      const options = flags<ScheduleFlags>(invocation);
      const body = requestBody<JobSchedulePatchParameter>(invocation, "Job Schedule - Patch", () => {
        const parts = scheduleParts(options);
        const patch = section({ ...parts, metadata: options.metadata });
        if (patch === undefined) throw new UsageError("nothing to update: give a flag such as --recurrence-interval or --pool-id, or --json-file.");
        if (patch.jobSpecification !== undefined && patch.jobSpecification.poolInfo === undefined) {
          // PATCH replaces the whole job specification, which needs its pool: keep the current one.
          throw new UsageError("a new job specification needs --pool-id (it replaces the whole specification).");
        }
        return patch as JobSchedulePatchParameter;
      });
      await invocation.client().jobSchedule.patch(schedule(invocation), body, invocation.conditions());
      return invocation.client().jobSchedule.get(schedule(invocation));
    });

  leaf(schedules, "reset", "Replace a job schedule's schedule, job specification and metadata (PUT).")
    .ids("job-schedule-id")
    .jsonFile("the new schedule")
    .options(scheduleFlags)
    .conditions()
    .action(async (invocation) => {
      const options = flags<ScheduleFlags>(invocation);
      const body = requestBody<JobScheduleUpdateParameter>(invocation, "Job Schedule - Update", () => {
        requireOptions(invocation, "poolId");
        const parts = scheduleParts(options);
        return compact({ schedule: parts.schedule ?? {}, jobSpecification: parts.jobSpecification, metadata: options.metadata }) as JobScheduleUpdateParameter;
      });
      await invocation.client().jobSchedule.update(schedule(invocation), body, invocation.conditions());
      return invocation.client().jobSchedule.get(schedule(invocation));
    });

  leaf(schedules, "delete", "Delete a job schedule and the jobs it made.")
    .ids("job-schedule-id")
    .confirm((ids) => `The job schedule '${ids["jobScheduleId"]}' and its jobs will be deleted.`)
    .conditions()
    .action(async (invocation) => {
      await invocation.client().jobSchedule.delete(schedule(invocation), invocation.conditions());
      return undefined;
    });

  for (const [name, alias, description, call] of [
    ["disable", undefined, "Disable a job schedule: it makes no new job until enabled.", "disable"],
    ["enable", undefined, "Enable a disabled job schedule.", "enable"],
    ["stop", "terminate", "Terminate a job schedule and its running job.", "terminate"],
  ] as const) {
    const builder = leaf(schedules, name, description).ids("job-schedule-id").conditions();
    if (alias !== undefined) builder.alias(alias);
    builder.action(async (invocation) => {
      await invocation.client().jobSchedule[call](schedule(invocation), invocation.conditions());
      return undefined;
    });
  }

  return schedules;
}
