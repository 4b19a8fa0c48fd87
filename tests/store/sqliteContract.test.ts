// The Store contract (contract/) on the embedded SQLite store.
import { sqliteBackend } from "./contract/backends.js";
import { describeQueryContract } from "./contract/queryContract.js";
import { describeWriteContract } from "./contract/writeContract.js";

describeWriteContract(sqliteBackend);
describeQueryContract(sqliteBackend);
