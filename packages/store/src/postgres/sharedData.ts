/**
 * What the replicas of a deployment must hold alike besides the entities, kept in the database they all reach
 * (migration 0003_cluster.sql): secrets (the keys that sign agent and task tokens, so that a token one replica
 * issued is good on every other) and files (application package zips, so that any replica serves a package an
 * upload through another stored). A file is split into 1 MiB chunks written in one transaction, so it is either
 * whole or absent; readers stream it a chunk at a time.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Pool } from "pg";
import { classify } from "./failures.js";

const chunkBytes = 1024 * 1024;

export class PgSharedData {
  constructor(private readonly pool: Pool) {}

  /** The secret named `name`: `proposal` if no replica stored one before, else the one stored. */
  async secret(name: string, proposal: string): Promise<string> {
    return this.query(async (client) => {
      await client.query("INSERT INTO cluster_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [name, proposal]);
      const { rows } = await client.query<{ value: string }>("SELECT value FROM cluster_secrets WHERE name = $1", [name]);
      return (rows[0] as { value: string }).value;
    });
  }

  async hasFile(account: string, name: string): Promise<boolean> {
    return this.query(async (client) => (await client.query("SELECT 1 FROM cluster_blobs WHERE account = $1 AND name = $2 AND chunk = 0", [account, name])).rows.length > 0);
  }

  /** Stores the file at `path` under `name` (content-addressed names: an existing one is kept as it is). */
  async putFile(account: string, name: string, path: string): Promise<void> {
    await this.query(async (client) => {
      await client.query("BEGIN");
      try {
        let chunk = 0;
        for await (const data of createReadStream(path, { highWaterMark: chunkBytes })) {
          await client.query("INSERT INTO cluster_blobs (account, name, chunk, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", [account, name, chunk++, data]);
        }
        if (chunk === 0) await client.query("INSERT INTO cluster_blobs (account, name, chunk, data) VALUES ($1, $2, 0, '') ON CONFLICT DO NOTHING", [account, name]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  /** Writes the file stored under `name` to `path`; false (and nothing written) when there is none. */
  async readFile(account: string, name: string, path: string): Promise<boolean> {
    return this.query(async (client) => {
      let out: ReturnType<typeof createWriteStream> | undefined;
      try {
        for (let chunk = 0; ; chunk++) {
          const { rows } = await client.query<{ data: Buffer }>("SELECT data FROM cluster_blobs WHERE account = $1 AND name = $2 AND chunk = $3", [account, name, chunk]);
          const row = rows[0];
          if (row === undefined) return chunk > 0;
          out ??= createWriteStream(path, { mode: 0o600 });
          if (!out.write(row.data)) await once(out, "drain");
        }
      } finally {
        if (out !== undefined) {
          out.end();
          await once(out, "close");
        }
      }
    });
  }

  private async query<R>(work: (client: import("pg").PoolClient) => Promise<R>): Promise<R> {
    let client;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classify(error);
    }
    let failed = false;
    try {
      return await work(client);
    } catch (error) {
      failed = true;
      throw classify(error);
    } finally {
      client.release(failed ? true : undefined);
    }
  }
}
