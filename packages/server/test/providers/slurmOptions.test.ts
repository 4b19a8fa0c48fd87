import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { isServiceError } from "@openbatch/core";
import { parseTimeLeft } from "../../src/providers/slurm/slurmCommands.js";
import {
  checkServerSlurmSettings,
  drainBeforeInSeconds,
  effectiveSlurmSettings,
  pilotJobArguments,
  pilotScript,
  poolSlurmSettings,
  slurmTimeInSeconds,
} from "../../src/providers/slurm/slurmOptions.js";
import { metadataProvider } from "../../src/providers/providerSet.js";

const item = (name: string, value: string) => ({ name, value });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(isServiceError(error), String(error));
    assert.equal(error.code, "InvalidPropertyValue");
    assert.equal(error.values?.find((value) => value.key === "PropertyName")?.value, "metadata");
    return error.message;
  }
  assert.fail("expected a refusal");
}

describe("Slurm settings", () => {
  it("reads Slurm's time formats", () => {
    assert.equal(slurmTimeInSeconds("90"), 90 * 60);
    assert.equal(slurmTimeInSeconds("90:30"), 90 * 60 + 30);
    assert.equal(slurmTimeInSeconds("1:30:00"), 5400);
    assert.equal(slurmTimeInSeconds("2-0"), 2 * 86_400);
    assert.equal(slurmTimeInSeconds("1-12:30"), 86_400 + 12 * 3600 + 30 * 60);
    assert.equal(slurmTimeInSeconds("1-00:00:10"), 86_410);
    assert.equal(slurmTimeInSeconds("soon"), undefined);
    assert.equal(slurmTimeInSeconds("1;rm"), undefined);
  });

  it("reads squeue's time left", () => {
    assert.equal(parseTimeLeft("1:05"), 65);
    assert.equal(parseTimeLeft("2:00:00"), 7200);
    assert.equal(parseTimeLeft("1-00:00:01"), 86_401);
    assert.equal(parseTimeLeft("UNLIMITED"), undefined);
    assert.equal(parseTimeLeft("INVALID"), undefined);
  });

  it("takes a pool's settings from its metadata, refusing what is no plain Slurm value", () => {
    assert.deepEqual(
      poolSlurmSettings([
        item("openbatch.provider", "slurm"),
        item("openbatch.slurm.partition", "gpu"),
        item("openbatch.slurm.account", "proj-42"),
        item("openbatch.slurm.qos", "normal"),
        item("openbatch.slurm.timeLimit", "4:00:00"),
        item("openbatch.slurm.drainBefore", "600"),
        item("openbatch.slurm.sbatchOptions", "--exclusive --constraint=haswell"),
        item("owner", "me"),
      ]),
      { partition: "gpu", account: "proj-42", qos: "normal", timeLimit: "4:00:00", drainBeforeInSeconds: 600, sbatchOptions: ["--exclusive", "--constraint=haswell"] },
    );
    assert.match(refusal(() => poolSlurmSettings([item("openbatch.slurm.partition", "gpu; rm -rf /")])), /openbatch\.slurm\.partition.*Slurm name/);
    assert.match(refusal(() => poolSlurmSettings([item("openbatch.slurm.timeLimit", "tomorrow")])), /time limit/);
    assert.match(refusal(() => poolSlurmSettings([item("openbatch.slurm.drainBefore", "-1")])), /whole number of seconds/);
    assert.match(refusal(() => poolSlurmSettings([item("openbatch.slurm.sbatchOptions", "--wrap=$(id)")])), /'--wrap=\$\(id\)'/);
    assert.match(refusal(() => poolSlurmSettings([item("openbatch.slurm.sbatchOptions", "-p gpu")])), /'-p'/);
    assert.match(refusal(() => poolSlurmSettings([item("openbatch.slurm.nodes", "2")])), /'openbatch\.slurm\.nodes' is not a Slurm setting/);
    assert.throws(() => checkServerSlurmSettings({ timeLimit: "forever" }), /time limit 'forever'/);
    assert.throws(() => checkServerSlurmSettings({ sbatchOptions: ["--x y"] }), /not an sbatch option/);
  });

  it("lets the pool override the server and adds its options after the server's", () => {
    const settings = effectiveSlurmSettings(
      { partition: "batch", account: "default", sbatchOptions: ["--nice=10"] },
      { metadata: [item("openbatch.slurm.partition", "fast"), item("openbatch.slurm.sbatchOptions", "--exclusive")] },
    );
    assert.deepEqual(settings, { partition: "fast", account: "default", sbatchOptions: ["--nice=10", "--exclusive"] });
    assert.equal(drainBeforeInSeconds({}), undefined, "no time limit, no drain");
    assert.equal(drainBeforeInSeconds({ timeLimit: "60" }), 300);
    assert.equal(drainBeforeInSeconds({ timeLimit: "10" }), 60, "a tenth of a short limit");
    assert.equal(drainBeforeInSeconds({ timeLimit: "10", drainBeforeInSeconds: 30 }), 30);
  });

  it("asks Slurm for the VM size's cores and memory and passes only the named variables", () => {
    const args = pilotJobArguments({ partition: "p", qos: "q", account: "a", timeLimit: "60", sbatchOptions: ["--exclusive"] }, { vmSize: "standard_d4s_v3" }, "ob123456-agent-1", ["OPENBATCH_AGENT_TOKEN", "PATH"]);
    assert.deepEqual(args, [
      "--parsable",
      "--job-name=ob123456-agent-1",
      "--export=OPENBATCH_AGENT_TOKEN,PATH",
      "--output=/dev/null",
      "--nodes=1",
      "--ntasks=1",
      "--cpus-per-task=4",
      "--mem=16384M",
      "--time=60",
      "--partition=p",
      "--account=a",
      "--qos=q",
      "--exclusive",
    ]);
    assert.throws(() => pilotJobArguments({}, { vmSize: "Standard_Imaginary" }, "x", []), /not known/);
  });

  it("writes a pilot script whose words survive any quoting", () => {
    const script = pilotScript({
      agentCommand: ["/usr/bin/node", "/opt/open batch/main.js", "agent"],
      serverUrl: "https://batch.example:8090",
      agentId: "agent-1",
      workDirectory: "/scratch/it's/",
      caFile: "/etc/ca.pem",
      description: "a node\nof pool p",
    });
    assert.match(script, /^#!\/bin\/sh\n# OpenBatch pilot job: a node of pool p\n/);
    const echo = script.replace(/^exec /m, "printf '%s\\n' ");
    const words = spawnSync("sh", ["-c", echo.split("\n").slice(3).join("\n")], { encoding: "utf8" }).stdout.trim().split("\n");
    assert.deepEqual(words, ["/usr/bin/node", "/opt/open batch/main.js", "agent", "--server", "https://batch.example:8090", "--agent-id", "agent-1", "--work-dir", "/scratch/it's/agent-1", "--ca-file", "/etc/ca.pem"]);
  });

  it("reads the provider a pool's metadata names, case-insensitively, refusing an unknown one", () => {
    assert.equal(metadataProvider({ metadata: [item("openbatch.provider", " Slurm ")] }), "slurm");
    assert.equal(metadataProvider({ metadata: [item("other", "x")] }), undefined);
    assert.equal(metadataProvider({}), undefined);
    assert.match(refusal(() => metadataProvider({ metadata: [item("openbatch.provider", "kubernetes")] })), /'kubernetes' is none/);
  });
});
