-- Task counts maintained with every write, as in the SQLite store (../0003_task_counts.sql): how many tasks of each
-- job are in each state and result, and their slots, read in time independent of the number of tasks.
--
-- Concurrent writers must not queue on (or conflict over) one counter row per job and state, which SERIALIZABLE
-- would answer with serialization failures: four add-collections into one job would conflict on every commit. So
-- each statement adds rows of deltas (statement triggers over transition tables: one row per group it changed, not
-- per task), and nothing ever updates a row. A job's counts are the sums over its rows; the store folds a job's
-- rows into one per group now and then (postgresTx.ts `compactTaskCounts`, in its own transaction).
--
-- The group values are exactly the expressions filters and tallies compute (src/postgres/predicateSql.ts);
-- `slots` sums `requiredSlots`, 1 where it is missing or not a number (ReadTx.tally's weight).
CREATE TABLE task_counts (
  account text COLLATE "C" NOT NULL,
  scope   text COLLATE "C" NOT NULL,
  state   text COLLATE "C",
  result  text COLLATE "C",
  tasks   bigint NOT NULL,
  slots   float8 NOT NULL
);
CREATE INDEX task_counts_scope ON task_counts (account, scope);

CREATE FUNCTION task_slots(body jsonb) RETURNS float8 IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN jsonb_typeof(body -> 'requiredSlots') = 'number' THEN (body -> 'requiredSlots')::float8 ELSE 1 END
$$;

CREATE FUNCTION task_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  SELECT account, scope, lower((body ->> 'state') COLLATE "C"), lower((body -> 'executionInfo' ->> 'result') COLLATE "C"), count(*), sum(task_slots(body))
  FROM inserted WHERE kind = 'task'
  GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END
$$;

CREATE FUNCTION task_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  SELECT account, scope, lower((body ->> 'state') COLLATE "C"), lower((body -> 'executionInfo' ->> 'result') COLLATE "C"), -count(*), -sum(task_slots(body))
  FROM deleted WHERE kind = 'task'
  GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END
$$;

-- Most task updates keep the group (a node's report, a retry count): their deltas cancel and add no row.
CREATE FUNCTION task_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  SELECT account, scope, state, result, sum(tasks), sum(slots)
  FROM (
    SELECT account, scope, lower((body ->> 'state') COLLATE "C") AS state, lower((body -> 'executionInfo' ->> 'result') COLLATE "C") AS result,
           -1 AS tasks, -task_slots(body) AS slots
    FROM deleted WHERE kind = 'task'
    UNION ALL
    SELECT account, scope, lower((body ->> 'state') COLLATE "C"), lower((body -> 'executionInfo' ->> 'result') COLLATE "C"), 1, task_slots(body)
    FROM inserted WHERE kind = 'task'
  ) changes
  GROUP BY 1, 2, 3, 4
  HAVING sum(tasks) <> 0 OR sum(slots) <> 0;
  RETURN NULL;
END
$$;

CREATE TRIGGER task_counts_insert AFTER INSERT ON entities REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION task_counts_inserted();
CREATE TRIGGER task_counts_delete AFTER DELETE ON entities REFERENCING OLD TABLE AS deleted
  FOR EACH STATEMENT EXECUTE FUNCTION task_counts_deleted();
CREATE TRIGGER task_counts_update AFTER UPDATE ON entities REFERENCING OLD TABLE AS deleted NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION task_counts_updated();

-- The tasks stored before this migration.
INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  SELECT account, scope, lower((body ->> 'state') COLLATE "C"), lower((body -> 'executionInfo' ->> 'result') COLLATE "C"), count(*), sum(task_slots(body))
  FROM entities WHERE kind = 'task'
  GROUP BY 1, 2, 3, 4;
