/**
 * The Slurm test harness itself: a throwaway cluster starts, runs a batch job, cancels one, and stops leaving no
 * daemon behind. The Slurm provider's tests and bench/slurmCompare.mjs stand on it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startSlurmCluster, type SlurmCluster } from "../support/slurmCluster.js";
import { waitFor } from "../support/waitFor.js";

describe("the throwaway Slurm cluster", () => {
  let cluster: SlurmCluster;
  let work: string;
  before(async () => {
    cluster = await startSlurmCluster();
    work = mkdtempSync(join(tmpdir(), "openbatch-slurm-work-"));
  });
  after(async () => {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("runs a batch job to completion on its node", async () => {
    const marker = join(work, "ran");
    const id = cluster.run("sbatch", ["--parsable", "-o", join(work, "out.txt"), `--wrap=echo $SLURM_JOB_NODELIST > ${marker}`]).trim();
    assert.match(id, /^\d+$/);
    await waitFor("the job's marker", async () => existsSync(marker) && readFileSync(marker, "utf8").trim() !== "", 30_000);
    assert.equal(readFileSync(marker, "utf8").trim(), cluster.nodeName);
  });

  it("lists a running job in squeue and forgets it once cancelled", async () => {
    // An odd duration: other test files run `sleep 300` processes at the same time.
    const id = cluster.run("sbatch", ["--parsable", "-o", "/dev/null", "--wrap=sleep 2741"]).trim();
    await waitFor("the job to run", async () => cluster.jobs()[id] === "RUNNING", 30_000);
    cluster.run("scancel", [id]);
    await waitFor("the job to leave squeue", async () => cluster.jobs()[id] === undefined, 30_000);
    assert.equal(spawnSync("pgrep", ["-f", "^sleep 2741$"]).stdout.toString().trim(), "", "the job's process is gone");
  });

  it("stops its daemons by PID", async () => {
    const directory = cluster.directory;
    const pids = () => spawnSync("pgrep", ["-f", directory]).stdout.toString().trim();
    assert.notEqual(pids(), "", "munged, slurmctld and slurmd run from this cluster's directory");
    await cluster.stop();
    assert.equal(pids(), "");
    assert.equal(existsSync(cluster.directory), false);
    cluster = await startSlurmCluster();
  });
});
