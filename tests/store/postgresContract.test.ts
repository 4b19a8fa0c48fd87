// The Store contract (contract/) on the PostgreSQL store, on a throwaway cluster (support/postgresCluster.ts).
import { postgresBackend } from "./contract/backends.js";
import { describeQueryContract } from "./contract/queryContract.js";
import { describeTaskCountsContract } from "./contract/taskCountsContract.js";
import { describeWriteContract } from "./contract/writeContract.js";

describeWriteContract(postgresBackend);
describeTaskCountsContract(postgresBackend);
describeQueryContract(postgresBackend);
