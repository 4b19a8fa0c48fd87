-- Task counts maintained with every write (issue #16 item 3): how many tasks of each job are in each state and
-- result, and their slots, so `Job_GetTaskCounts`, the autoscale task metrics and counts by state cost the same
-- whatever the number of tasks (a GROUP BY over a job's tasks took 1.5 s with 1,000,000 of them).
--
-- One row per (account, job, state, result). The values are exactly the expressions filters and tallies compute
-- (src/sqlite/predicateSql.ts: lower(json_extract(...)) of an enum field; a missing field is NULL), so a count by
-- state answered from here equals one counted over the entities. `slots` is the sum of `requiredSlots`, 1 where
-- missing (ReadTx.tally's weight). Rows are kept at zero rather than deleted on every decrement (a job has a handful
-- of groups); readers skip them and deleting a collection removes them (sqliteStore.ts `deleteAll`).
CREATE TABLE task_counts (
  account TEXT NOT NULL,
  scope   TEXT NOT NULL,
  state   TEXT,
  result  TEXT,
  tasks   INTEGER NOT NULL,
  slots   REAL NOT NULL
);
-- NULL state or result is a group of its own: ifnull(…, x'') maps it to a blob, which equals no text (not even '').
CREATE UNIQUE INDEX task_counts_key ON task_counts (account, scope, ifnull(state, x''), ifnull(result, x''));

CREATE TRIGGER task_counts_insert AFTER INSERT ON entities WHEN NEW.kind = 'task' BEGIN
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  VALUES (
    NEW.account, NEW.scope,
    lower(json_extract(NEW.body, '$."state"')),
    lower(json_extract(NEW.body, '$."executionInfo"."result"')),
    1,
    coalesce(json_extract(NEW.body, '$."requiredSlots"'), 1)
  )
  ON CONFLICT (account, scope, ifnull(state, x''), ifnull(result, x'')) DO UPDATE SET tasks = tasks + 1, slots = slots + excluded.slots;
END;

-- A deleted collection's rows go first (deleteAll), so its tasks' deletes find no row and skip the JSON work.
CREATE TRIGGER task_counts_delete AFTER DELETE ON entities
WHEN OLD.kind = 'task' AND EXISTS (SELECT 1 FROM task_counts WHERE account = OLD.account AND scope = OLD.scope) BEGIN
  UPDATE task_counts SET tasks = tasks - 1, slots = slots - coalesce(json_extract(OLD.body, '$."requiredSlots"'), 1)
  WHERE account = OLD.account AND scope = OLD.scope
    AND ifnull(state, x'') = ifnull(lower(json_extract(OLD.body, '$."state"')), x'')
    AND ifnull(result, x'') = ifnull(lower(json_extract(OLD.body, '$."executionInfo"."result"')), x'');
END;

-- Only a change of group or slots moves counts (most task writes keep the state: a retry count, a node's report).
CREATE TRIGGER task_counts_update AFTER UPDATE OF body ON entities
WHEN NEW.kind = 'task' AND (
  lower(json_extract(OLD.body, '$."state"')) IS NOT lower(json_extract(NEW.body, '$."state"'))
  OR lower(json_extract(OLD.body, '$."executionInfo"."result"')) IS NOT lower(json_extract(NEW.body, '$."executionInfo"."result"'))
  OR json_extract(OLD.body, '$."requiredSlots"') IS NOT json_extract(NEW.body, '$."requiredSlots"')
) BEGIN
  UPDATE task_counts SET tasks = tasks - 1, slots = slots - coalesce(json_extract(OLD.body, '$."requiredSlots"'), 1)
  WHERE account = OLD.account AND scope = OLD.scope
    AND ifnull(state, x'') = ifnull(lower(json_extract(OLD.body, '$."state"')), x'')
    AND ifnull(result, x'') = ifnull(lower(json_extract(OLD.body, '$."executionInfo"."result"')), x'');
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  VALUES (
    NEW.account, NEW.scope,
    lower(json_extract(NEW.body, '$."state"')),
    lower(json_extract(NEW.body, '$."executionInfo"."result"')),
    1,
    coalesce(json_extract(NEW.body, '$."requiredSlots"'), 1)
  )
  ON CONFLICT (account, scope, ifnull(state, x''), ifnull(result, x'')) DO UPDATE SET tasks = tasks + 1, slots = slots + excluded.slots;
END;

-- The tasks stored before this migration.
INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  SELECT account, scope, lower(json_extract(body, '$."state"')), lower(json_extract(body, '$."executionInfo"."result"')),
         count(*), total(coalesce(json_extract(body, '$."requiredSlots"'), 1))
  FROM entities WHERE kind = 'task'
  GROUP BY account, scope, 3, 4;
