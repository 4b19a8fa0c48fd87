-- Replicas (issue #13 item 3): what the server processes of one deployment share besides the entities
-- (docs/architecture.md, "Replicas").

-- Who is up: every replica upserts its row with each heartbeat of its coordination connection
-- (src/postgres/coordination.ts), so a row not seen for a few seconds is a replica that is gone. Agents are given
-- the URLs of the live ones to fail over between.
CREATE TABLE cluster_replicas (
  id         text COLLATE "C" PRIMARY KEY,
  url        text NOT NULL,
  host       text NOT NULL,
  pid        integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at    timestamptz NOT NULL DEFAULT now()
);

-- Secrets every replica must hold the same (the agent-token and task-token keys): the first replica to start
-- makes them, the others read them.
CREATE TABLE cluster_secrets (
  name       text COLLATE "C" PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Files every replica must be able to serve (application package zips), content-addressed per account and split
-- into chunks of at most 1 MiB, written in one transaction: chunk 0 present means the whole file is.
CREATE TABLE cluster_blobs (
  account text COLLATE "C" NOT NULL,
  name    text COLLATE "C" NOT NULL,
  chunk   integer NOT NULL,
  data    bytea NOT NULL,
  PRIMARY KEY (account, name, chunk)
);
