CREATE TRIGGER task_counts_delete AFTER DELETE ON entities WHEN OLD.kind = 'task' BEGIN
  UPDATE task_counts SET tasks = tasks - 1, slots = slots - coalesce(OLD.slots, 1)
  WHERE account = OLD.account AND scope = OLD.scope AND ifnull(state, x'') = ifnull(OLD.state, x'') AND ifnull(result, x'') = ifnull(OLD.result, x'');
END;

CREATE TRIGGER task_counts_insert AFTER INSERT ON entities WHEN NEW.kind = 'task' BEGIN
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  VALUES (NEW.account, NEW.scope, NEW.state, NEW.result, 1, coalesce(NEW.slots, 1))
  ON CONFLICT (account, scope, ifnull(state, x''), ifnull(result, x'')) DO UPDATE SET tasks = tasks + 1, slots = slots + excluded.slots;
END;

CREATE TRIGGER task_counts_update AFTER UPDATE OF body ON entities
WHEN NEW.kind = 'task' AND (OLD.state IS NOT NEW.state OR OLD.result IS NOT NEW.result OR OLD.slots IS NOT NEW.slots) BEGIN
  UPDATE task_counts SET tasks = tasks - 1, slots = slots - coalesce(OLD.slots, 1)
  WHERE account = OLD.account AND scope = OLD.scope AND ifnull(state, x'') = ifnull(OLD.state, x'') AND ifnull(result, x'') = ifnull(OLD.result, x'');
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  VALUES (NEW.account, NEW.scope, NEW.state, NEW.result, 1, coalesce(NEW.slots, 1))
  ON CONFLICT (account, scope, ifnull(state, x''), ifnull(result, x'')) DO UPDATE SET tasks = tasks + 1, slots = slots + excluded.slots;
END;

CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE "entities" (
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

CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);

CREATE TABLE task_counts (
  account TEXT NOT NULL,
  scope   TEXT NOT NULL,
  state   TEXT,
  result  TEXT,
  tasks   INTEGER NOT NULL,
  slots   REAL NOT NULL
);

CREATE INDEX entities_by_state ON entities (account, kind, scope, state, id_key, result, slots);

CREATE UNIQUE INDEX entities_key ON entities (account, kind, scope, id_key);

CREATE UNIQUE INDEX task_counts_key ON task_counts (account, scope, ifnull(state, x''), ifnull(result, x''));
