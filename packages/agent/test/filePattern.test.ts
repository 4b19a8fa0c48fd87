import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blobNameFor, expandVariables, splitPattern } from "../src/files/filePattern.js";
import { uploadConditionHolds } from "../src/files/outputFiles.js";

const wd = "/root/workitems/j/job-1/t/wd";

describe("output file patterns", () => {
  it("expands $VAR, ${VAR} and %VAR% from the task environment and leaves unknown variables alone", () => {
    const environment = { AZ_BATCH_TASK_DIR: "/root/workitems/j/job-1/t", NAME: "x" };
    assert.equal(expandVariables("$AZ_BATCH_TASK_DIR/std*.txt", environment), "/root/workitems/j/job-1/t/std*.txt");
    assert.equal(expandVariables("${NAME}.log|%NAME%.out|$MISSING/a", environment), "x.log|x.out|$MISSING/a");
  });

  it("splits at the first segment with a wildcard; relative bases resolve against wd, '..' reaches the task directory", () => {
    assert.deepEqual(splitPattern("out/**/*.txt", wd), { base: `${wd}/out`, glob: "**/*.txt" });
    assert.deepEqual(splitPattern("../std*.txt", wd), { base: "/root/workitems/j/job-1/t", glob: "std*.txt" });
    assert.deepEqual(splitPattern("/root/shared/a?.csv", wd), { base: "/root/shared", glob: "a?.csv" });
    assert.deepEqual(splitPattern("report.pdf", wd), { base: `${wd}/report.pdf`, glob: undefined });
    assert.deepEqual(splitPattern("*", wd), { base: wd, glob: "*" });
    assert.deepEqual(splitPattern("data/[ab]*/x", wd), { base: `${wd}/data`, glob: "[ab]*/x" });
  });

  it("names blobs: path is the blob for one file, a virtual directory for wildcard matches, the root when absent", () => {
    assert.equal(blobNameFor("results/1.txt", "result.txt", false), "results/1.txt");
    assert.equal(blobNameFor(undefined, "result.txt", false), "result.txt");
    assert.equal(blobNameFor("logs/", "sub/a.log", true), "logs/sub/a.log");
    assert.equal(blobNameFor("", "a.log", true), "a.log");
  });

  it("applies upload conditions to the exit code", () => {
    const file = (uploadCondition: "tasksuccess" | "taskfailure" | "taskcompletion") => ({
      filePattern: "x",
      destination: { container: { containerUrl: "http://h/c" } },
      uploadOptions: { uploadCondition },
    });
    assert.deepEqual([0, 3].map((code) => uploadConditionHolds(file("tasksuccess"), code)), [true, false]);
    assert.deepEqual([0, 3].map((code) => uploadConditionHolds(file("taskfailure"), code)), [false, true]);
    assert.deepEqual([0, 3].map((code) => uploadConditionHolds(file("taskcompletion"), code)), [true, true]);
  });
});
