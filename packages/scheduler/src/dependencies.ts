/**
 * Task dependencies (semantics.md §4): which parents a task names, and whether they let it run.
 *
 * A task names parents by id (`taskIds`, case-insensitive) and by inclusive numeric ranges (`taskIdRanges`). A range
 * start..end names every integer n in it; the parents for n are the job's tasks whose id parses as n (decimal digits,
 * optional leading `-`, leading zeros ignored: `4`, `04` and `004` all are 4; `5flamingoes` is never numeric).
 *
 * Each parent is in one of these states, as the server knows them:
 * - satisfied  completed, and its exit options say `dependencyAction: satisfy` (the default for exit code 0)
 * - blocked    completed with `dependencyAction: block` (the default for a failure); it blocks its dependants
 * - pending    not completed yet (active, preparing, running)
 * - missing    no such task in the job (yet). Azure waits for it, so missing counts as pending, and so does a
 *              number in a range that no task's id parses as: range 1..10 waits until tasks 1 to 10 all exist
 *
 * A task runs when every parent is satisfied; it is `blocked` when any parent is blocked (blocked wins over pending),
 * otherwise `pending`.
 */
import { idKey } from "@openbatch/core";

export interface TaskIdRange {
  readonly start: number;
  readonly end: number;
}

export interface TaskDependencies {
  readonly taskIds?: readonly string[];
  readonly taskIdRanges?: readonly TaskIdRange[];
}

export const parentStates = ["satisfied", "blocked", "pending"] as const;
/** The state of an existing parent task. */
export type ParentState = (typeof parentStates)[number];
/** The state of a named parent: an existing one's state, or `missing`. */
export type DependencyState = ParentState | "missing";

/** The combined state of a task's parents. */
export interface DependencyVerdict {
  readonly state: "satisfied" | "pending" | "blocked";
  /** The blocked parents' ids (empty unless `state` is `blocked`). */
  readonly blockedTaskIds: readonly string[];
}

/** What the scheduler asks about one job's tasks when their dependants are examined. */
export interface DependencyOracle {
  /** The state of the job's task with this id (case-insensitive); `missing` when there is none. */
  stateOf(taskId: string): DependencyState;
  /** The combined state of the parents named by the inclusive range start..end (missing numbers → pending). */
  rangeState(start: number, end: number): DependencyVerdict;
}

/** A `DependencyOracle` the server fills with (and keeps updating from) the states of a job's tasks. */
export interface DependencyIndex extends DependencyOracle {
  /** Records or changes the state of the task with this id. */
  set(taskId: string, state: ParentState): void;
  /** Forgets the task with this id (deleted). */
  delete(taskId: string): void;
  readonly size: number;
}

const numericId = /^-?[0-9]+$/;

/** The integer a task id stands for in `taskIdRanges`, or undefined when it is not a (safe) integer. */
export function taskIdNumber(taskId: string): number | undefined {
  if (!numericId.test(taskId)) return undefined;
  const value = Number(taskId);
  return Number.isSafeInteger(value) ? (value === 0 ? 0 : value) : undefined;
}

/**
 * Every parent a `dependsOn` names, lazily: the listed ids as given, then each range's numbers as canonical
 * decimal strings (a task `04` is the parent named `4`). Ranges can be large; iterate, do not spread, when unsure.
 */
export function* dependencyParents(dependsOn: TaskDependencies | undefined): Generator<string> {
  if (dependsOn === undefined) return;
  yield* dependsOn.taskIds ?? [];
  for (const range of dependsOn.taskIdRanges ?? []) {
    for (let n = range.start; n <= range.end; n++) yield String(n);
  }
}

/** Whether `dependsOn` names the task `taskId` (by id, case-insensitive, or by a range containing its number). */
export function dependsOnTask(dependsOn: TaskDependencies | undefined, taskId: string): boolean {
  if (dependsOn === undefined) return false;
  const key = idKey(taskId);
  if ((dependsOn.taskIds ?? []).some((id) => idKey(id) === key)) return true;
  const number = taskIdNumber(taskId);
  if (number === undefined) return false;
  return (dependsOn.taskIdRanges ?? []).some((range) => range.start <= number && number <= range.end);
}

/** The combined state of the parents `dependsOn` names. Without an oracle every parent is missing (pending). */
export function evaluateDependencies(dependsOn: TaskDependencies | undefined, oracle: DependencyOracle | undefined): DependencyVerdict {
  const ids = dependsOn?.taskIds ?? noIds;
  const ranges = dependsOn?.taskIdRanges ?? noRanges;
  if (ids.length === 0 && ranges.length === 0) return satisfiedVerdict;
  if (oracle === undefined) return pendingVerdict;
  let pending = false;
  let blocked: string[] | undefined;
  for (const id of ids) {
    const state = oracle.stateOf(id);
    if (state === "blocked") (blocked ??= []).push(id);
    else if (state !== "satisfied") pending = true;
  }
  for (const range of ranges) {
    const verdict = oracle.rangeState(range.start, range.end);
    if (verdict.state === "blocked") (blocked ??= []).push(...verdict.blockedTaskIds);
    else if (verdict.state === "pending") pending = true;
  }
  if (blocked !== undefined) return { state: "blocked", blockedTaskIds: uniqueIds(blocked) };
  return pending ? pendingVerdict : satisfiedVerdict;
}

/** The ids without case-insensitive repeats, first spelling kept. */
function uniqueIds(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => {
    const key = idKey(id);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const noIds: readonly string[] = [];
const noRanges: readonly TaskIdRange[] = [];
const satisfiedVerdict: DependencyVerdict = Object.freeze({ state: "satisfied", blockedTaskIds: Object.freeze([]) });
const pendingVerdict: DependencyVerdict = Object.freeze({ state: "pending", blockedTaskIds: Object.freeze([]) });

interface Entry {
  readonly id: string;
  state: ParentState;
  readonly number: number | undefined;
}

/**
 * Builds a `DependencyIndex` from `[taskId, state]` pairs. `stateOf` is a map lookup; `rangeState` costs
 * O(log n + k) for the k existing numeric tasks in the range, and O(log n) when none of the job's numeric tasks is
 * pending or blocked.
 */
export function createDependencyIndex(entries: Iterable<readonly [string, ParentState]> = []): DependencyIndex {
  const byKey = new Map<string, Entry>();
  const byNumber = new Map<number, Entry[]>();
  let sortedNumbers: number[] | undefined;
  const numericCounts = { pending: 0, blocked: 0 };

  const count = (entry: Entry, delta: number): void => {
    if (entry.number === undefined || entry.state === "satisfied") return;
    numericCounts[entry.state] += delta;
  };

  const remove = (key: string): void => {
    const entry = byKey.get(key);
    if (entry === undefined) return;
    byKey.delete(key);
    count(entry, -1);
    if (entry.number === undefined) return;
    const list = byNumber.get(entry.number) ?? [];
    const rest = list.filter((other) => other !== entry);
    if (rest.length > 0) byNumber.set(entry.number, rest);
    else {
      byNumber.delete(entry.number);
      sortedNumbers = undefined;
    }
  };

  const index: DependencyIndex = {
    get size() {
      return byKey.size;
    },
    set(taskId, state) {
      const key = idKey(taskId);
      const existing = byKey.get(key);
      if (existing !== undefined && existing.id === taskId) {
        count(existing, -1);
        existing.state = state;
        count(existing, 1);
        return;
      }
      remove(key);
      const entry: Entry = { id: taskId, state, number: taskIdNumber(taskId) };
      byKey.set(key, entry);
      count(entry, 1);
      if (entry.number === undefined) return;
      const list = byNumber.get(entry.number);
      if (list !== undefined) list.push(entry);
      else {
        byNumber.set(entry.number, [entry]);
        sortedNumbers = undefined;
      }
    },
    delete(taskId) {
      remove(idKey(taskId));
    },
    stateOf(taskId) {
      return byKey.get(idKey(taskId))?.state ?? "missing";
    },
    rangeState(start, end) {
      if (end < start) return satisfiedVerdict;
      sortedNumbers ??= [...byNumber.keys()].sort((a, b) => a - b);
      const numbers = sortedNumbers;
      const low = lowerBound(numbers, start);
      const high = lowerBound(numbers, end + 1);
      const missing = high - low < end - start + 1;
      if (numericCounts.blocked === 0) {
        if (missing) return pendingVerdict;
        if (numericCounts.pending === 0) return satisfiedVerdict;
        for (let i = low; i < high; i++) {
          if ((byNumber.get(numbers[i] as number) ?? []).some((entry) => entry.state === "pending")) return pendingVerdict;
        }
        return satisfiedVerdict;
      }
      let pending = missing;
      const blocked: string[] = [];
      for (let i = low; i < high; i++) {
        for (const entry of byNumber.get(numbers[i] as number) ?? []) {
          if (entry.state === "blocked") blocked.push(entry.id);
          else if (entry.state === "pending") pending = true;
        }
      }
      if (blocked.length > 0) return { state: "blocked", blockedTaskIds: blocked };
      return pending ? pendingVerdict : satisfiedVerdict;
    },
  };
  for (const [taskId, state] of entries) index.set(taskId, state);
  return index;
}

/** The first position in ascending `values` whose value is ≥ `target`. */
function lowerBound(values: readonly number[], target: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) < target) low = middle + 1;
    else high = middle;
  }
  return low;
}
