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

CREATE INDEX entities_by_state ON entities (
  account, kind, scope,
  lower(json_extract(body, '$."state"')),
  id_key,
  lower(json_extract(body, '$."executionInfo"."result"')),
  json_extract(body, '$."requiredSlots"')
);

CREATE UNIQUE INDEX entities_key ON entities (account, kind, scope, id_key);
