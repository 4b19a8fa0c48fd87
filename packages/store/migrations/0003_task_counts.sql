-- Task counts maintained with every write (issue #16 item 3): how many tasks of each job are in each state and
-- result, and their slots, so `Job_GetTaskCounts`, the autoscale task metrics and counts by state cost the same
-- whatever the number of tasks (a GROUP BY over a job's tasks took 1.5 s with 1,000,000 of them).
--
-- The fields the counts group by become stored generated columns, computed once when a body is written: the
-- state index and the counting triggers read them instead of each parsing the body again (measured on 100,000
-- task inserts and updates: counting through triggers that parse the JSON made an update ~60 % dearer, through
-- the columns ~20 %). Their expressions are the ones filters use for these fields, so predicateSql.ts compares
-- the columns (`state`, `result`) and the planner matches the index.
CREATE TABLE entities_v3 (
  account     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  scope       TEXT NOT NULL,
  id_key      TEXT NOT NULL,
  id          TEXT NOT NULL,
  etag        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  body        TEXT NOT NULL CHECK (json_valid(body)),
  state       TEXT GENERATED ALWAYS AS (lower(json_extract(body, '$."state"'))) STORED,
  result      TEXT GENERATED ALWAYS AS (lower(json_extract(body, '$."executionInfo"."result"'))) STORED,
  -- No type, so no affinity: the value is exactly what json_extract gives.
  slots       GENERATED ALWAYS AS (json_extract(body, '$."requiredSlots"')) STORED
);
INSERT INTO entities_v3 (account, kind, scope, id_key, id, etag, created_at, modified_at, body)
  SELECT account, kind, scope, id_key, id, etag, created_at, modified_at, body FROM entities;
DROP TABLE entities;
ALTER TABLE entities_v3 RENAME TO entities;
CREATE UNIQUE INDEX entities_key ON entities (account, kind, scope, id_key);
-- As in migration 0002, on the columns: lists by state, and task counts by state read from the index alone.
CREATE INDEX entities_by_state ON entities (account, kind, scope, state, id_key, result, slots);
DELETE FROM sqlite_stat1 WHERE tbl = 'entities';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
  ('entities', 'entities_key', '1000000 100000 10000 1000 1'),
  ('entities', 'entities_by_state', '1000000 100000 10000 1000 100 1 1 1');

-- One row per (account, job, state, result): the number of tasks and the sum of their `requiredSlots` (1 where
-- missing, as ReadTx.tally weighs them). Rows are kept at zero rather than deleted on every decrement (a job has a
-- handful of groups); readers skip them, and deleting a collection removes them (sqliteStore.ts `deleteAll`).
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
  VALUES (NEW.account, NEW.scope, NEW.state, NEW.result, 1, coalesce(NEW.slots, 1))
  ON CONFLICT (account, scope, ifnull(state, x''), ifnull(result, x'')) DO UPDATE SET tasks = tasks + 1, slots = slots + excluded.slots;
END;

-- A deleted collection's rows go first (deleteAll), so that deleting its tasks one by one finds nothing to update.
CREATE TRIGGER task_counts_delete AFTER DELETE ON entities WHEN OLD.kind = 'task' BEGIN
  UPDATE task_counts SET tasks = tasks - 1, slots = slots - coalesce(OLD.slots, 1)
  WHERE account = OLD.account AND scope = OLD.scope AND ifnull(state, x'') = ifnull(OLD.state, x'') AND ifnull(result, x'') = ifnull(OLD.result, x'');
END;

-- Only a change of group or slots moves counts (most task writes keep the state: a retry count, a node's report).
CREATE TRIGGER task_counts_update AFTER UPDATE OF body ON entities
WHEN NEW.kind = 'task' AND (OLD.state IS NOT NEW.state OR OLD.result IS NOT NEW.result OR OLD.slots IS NOT NEW.slots) BEGIN
  UPDATE task_counts SET tasks = tasks - 1, slots = slots - coalesce(OLD.slots, 1)
  WHERE account = OLD.account AND scope = OLD.scope AND ifnull(state, x'') = ifnull(OLD.state, x'') AND ifnull(result, x'') = ifnull(OLD.result, x'');
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  VALUES (NEW.account, NEW.scope, NEW.state, NEW.result, 1, coalesce(NEW.slots, 1))
  ON CONFLICT (account, scope, ifnull(state, x''), ifnull(result, x'')) DO UPDATE SET tasks = tasks + 1, slots = slots + excluded.slots;
END;

-- The tasks stored before this migration.
INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  SELECT account, scope, state, result, count(*), total(coalesce(slots, 1))
  FROM entities WHERE kind = 'task'
  GROUP BY account, scope, state, result;
