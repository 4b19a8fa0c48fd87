CREATE TRIGGER task_counts_delete AFTER DELETE ON entities
WHEN OLD.kind = 'task' AND EXISTS (SELECT 1 FROM task_counts WHERE account = OLD.account AND scope = OLD.scope) BEGIN
  UPDATE task_counts SET tasks = tasks - 1, slots = slots - coalesce(json_extract(OLD.body, '$."requiredSlots"'), 1)
  WHERE account = OLD.account AND scope = OLD.scope
    AND ifnull(state, x'') = ifnull(lower(json_extract(OLD.body, '$."state"')), x'')
    AND ifnull(result, x'') = ifnull(lower(json_extract(OLD.body, '$."executionInfo"."result"')), x'');
END;

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
  body        TEXT NOT NULL CHECK (json_valid(body))
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

CREATE INDEX entities_by_state ON entities (
  account, kind, scope,
  lower(json_extract(body, '$."state"')),
  id_key,
  lower(json_extract(body, '$."executionInfo"."result"')),
  json_extract(body, '$."requiredSlots"')
);

CREATE UNIQUE INDEX entities_key ON entities (account, kind, scope, id_key);

CREATE UNIQUE INDEX task_counts_key ON task_counts (account, scope, ifnull(state, x''), ifnull(result, x''));
