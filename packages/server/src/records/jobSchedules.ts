/**
 * Job schedule rows (`kind = jobSchedule`, scope ""): the wire CloudJobSchedule plus what the runner keeps under
 * `_ob`. Types and pure helpers only; every change of a schedule's state is made by lifecycle/jobSchedules.ts.
 */
import { parseDuration, type Predicate, type ScheduleTiming } from "@openbatch/core";
import type { CloudJobSchedule, Schedule } from "@openbatch/protocol";
import type { StoredEntity } from "@openbatch/store";

/** What the runner keeps about a schedule besides its wire fields (never shown on the wire). */
export interface ScheduleRunnerState {
  /** Jobs made so far: the next one is `job-<jobCount + 1>`. */
  readonly jobCount: number;
  /** The occurrence the last job was made for. */
  readonly lastRunTime?: string;
  /** The pool made with the first job when the job specification asks for an auto pool with lifetime `jobSchedule`. */
  readonly autoPoolId?: string;
}

export type JobScheduleRecord = CloudJobSchedule & { _ob: ScheduleRunnerState };
export type StoredJobSchedule = StoredEntity<JobScheduleRecord>;

export function scheduleRef(account: string, scheduleId: string) {
  return { account, kind: "jobSchedule" as const, scope: "", id: scheduleId };
}

/** The schedule record as the wire shows it: without the runner's bookkeeping. */
export function scheduleView(record: JobScheduleRecord): CloudJobSchedule {
  const { _ob: _runner, ...view } = record;
  return view;
}

/** The jobs a schedule made: their ids start with `<scheduleId>:`, which no other job id can contain. */
export function jobsOfSchedule(scheduleId: string): Predicate {
  return { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: `${scheduleId.toLowerCase()}:` };
}

function date(text: string | undefined): Date | undefined {
  return text === undefined ? undefined : new Date(text);
}

export function scheduleTiming(schedule: Schedule | undefined): ScheduleTiming {
  return {
    doNotRunUntil: date(schedule?.doNotRunUntil),
    doNotRunAfter: date(schedule?.doNotRunAfter),
    startWindowInMs: schedule?.startWindow === undefined ? undefined : parseDuration(schedule.startWindow),
    recurrenceIntervalInMs: schedule?.recurrenceInterval === undefined ? undefined : parseDuration(schedule.recurrenceInterval),
  };
}
