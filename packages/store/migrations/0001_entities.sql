-- Every resource is one JSON document keyed by (account, kind, scope, id_key); see src/store.ts.
CREATE TABLE entities (
  account     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  scope       TEXT NOT NULL,
  id_key      TEXT NOT NULL,
  id          TEXT NOT NULL,
  etag        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  body        TEXT NOT NULL CHECK (json_valid(body)),
  PRIMARY KEY (account, kind, scope, id_key)
) WITHOUT ROWID;

-- Store-wide counters; 'etag' makes every write's ETag unique.
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
