// The Store contract (contract/) on the embedded SQLite store.
import { sqliteBackend } from "./contract/backends.js";
import { describeQueryContract } from "./contract/queryContract.js";
import { describeTaskCountsContract } from "./contract/taskCountsContract.js";
import { describeWriteContract } from "./contract/writeContract.js";

describeWriteContract(sqliteBackend);
describeTaskCountsContract(sqliteBackend);
describeQueryContract(sqliteBackend);
