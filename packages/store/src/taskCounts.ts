/**
 * Counting tasks from the maintained task counts (ReadTx.taskCounts) instead of over the tasks: all of a job's tasks,
 * or those of a filter that reads nothing but `state` and `executionInfo.result` as enums (the lifecycle's "unfinished" and "busy" tasks, the
 * scheduler's running count) has the same answer for every task of a group, so it is evaluated once per group.
 *
 * The groups hold the values as the database lower-cased them for the filter's own SQL (`lower(…)` of an enum
 * field, changing ASCII letters only); the predicate is evaluated on them as plain strings, so the answer is the
 * one the filter's SQL gives over the tasks, not a second lower-casing's.
 */
import { matchesPredicate, type Predicate } from "@openbatch/core";
import type { CollectionRef, TaskCountGroup } from "./store.js";

function isCountedPath(path: readonly string[]): boolean {
  return (path.length === 1 && path[0] === "state") || (path.length === 2 && path[0] === "executionInfo" && path[1] === "result");
}

/** Whether `count(collection, filter)` can be answered from the task counts (no filter counts every group). */
export function countsAnswer(collection: CollectionRef, filter: Predicate | undefined): boolean {
  if (collection.kind !== "task") return false;
  if (filter === undefined) return true;
  const visit = (node: Predicate): boolean => {
    switch (node.op) {
      case "and":
      case "or":
        return visit(node.left) && visit(node.right);
      case "not":
        return visit(node.operand);
      default:
        return node.kind === "enum" && isCountedPath(node.path);
    }
  };
  return visit(filter);
}

/** The predicate over the groups' already lower-cased values: enum comparisons as plain string comparisons. */
function overGroups(node: Predicate): Predicate {
  switch (node.op) {
    case "and":
    case "or":
      return { op: node.op, left: overGroups(node.left), right: overGroups(node.right) };
    case "not":
      return { op: "not", operand: overGroups(node.operand) };
    default:
      return { ...node, kind: "string" };
  }
}

/** How many tasks of `groups` match `filter` (one `countsAnswer` accepts; all of them without one). */
export function countFromGroups(groups: readonly TaskCountGroup[], filter: Predicate | undefined): number {
  if (filter === undefined) return groups.reduce((total, group) => total + group.count, 0);
  const predicate = overGroups(filter);
  let total = 0;
  for (const group of groups) {
    const entity = {
      ...(group.state === null ? {} : { state: group.state }),
      ...(group.result === null ? {} : { executionInfo: { result: group.result } }),
    };
    if (matchesPredicate(entity, predicate)) total += group.count;
  }
  return total;
}
