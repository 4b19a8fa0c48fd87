// Writes packages/store/schema.sql from the migrations, so schema changes show up in review.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../dist/src/index.js";

const directory = mkdtempSync(join(tmpdir(), "openbatch-schema-"));
const store = new SqliteStore({ filename: join(directory, "schema.db"), now: new Date() });
writeFileSync(new URL("../schema.sql", import.meta.url), store.schema());
await store.close();
rmSync(directory, { recursive: true, force: true });
