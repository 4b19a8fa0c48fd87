import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ExitConditions } from "@openbatch/protocol";
import { endedByRequest, resolveExitOptions, runEnding, type ResolvedExitOptions, type RunEnding } from "../../src/records/exitOptions.js";

const success: ResolvedExitOptions = { jobAction: "none", dependencyAction: "satisfy" };
const failure: ResolvedExitOptions = { jobAction: "terminate", dependencyAction: "block" };

const conditions: ExitConditions = {
  exitCodes: [
    { code: 0, exitOptions: { jobAction: "terminate" } },
    { code: 3, exitOptions: { jobAction: "none", dependencyAction: "satisfy" } },
    { code: 7, exitOptions: { jobAction: "disable" } },
  ],
  exitCodeRanges: [
    { start: 5, end: 10, exitOptions: { dependencyAction: "satisfy" } },
    { start: 8, end: 20, exitOptions: { jobAction: "none" } },
  ],
  preProcessingError: { jobAction: "disable" },
  default: { jobAction: "none" },
};

describe("exit options (semantics.md §3)", () => {
  const cases: [string, ExitConditions | undefined, RunEnding, ResolvedExitOptions][] = [
    ["exit 0 without conditions: the built-in success options", undefined, { exitCode: 0 }, success],
    ["a non-zero exit without conditions: the failure defaults", undefined, { exitCode: 2 }, failure],
    ["a listed 0 overrides success, other options default to success's", conditions, { exitCode: 0 }, { jobAction: "terminate", dependencyAction: "satisfy" }],
    ["an exact code wins over a range holding it", conditions, { exitCode: 7 }, { jobAction: "disable", dependencyAction: "block" }],
    ["a range matches inclusively at its start", conditions, { exitCode: 5 }, { jobAction: "terminate", dependencyAction: "satisfy" }],
    ["a range matches inclusively at its end, the first range wins", conditions, { exitCode: 10 }, { jobAction: "terminate", dependencyAction: "satisfy" }],
    ["the second range when the first does not hold the code", conditions, { exitCode: 20 }, { jobAction: "none", dependencyAction: "block" }],
    ["default for an unlisted non-zero code", conditions, { exitCode: 42 }, { jobAction: "none", dependencyAction: "block" }],
    ["default is not used for an unlisted 0", { default: { jobAction: "terminate" } }, { exitCode: 0 }, success],
    ["preProcessingError for a pre-processing failure", conditions, { error: "preProcessing" }, { jobAction: "disable", dependencyAction: "block" }],
    ["default for a pre-processing failure without preProcessingError", { default: { dependencyAction: "satisfy" } }, { error: "preProcessing" }, { jobAction: "terminate", dependencyAction: "satisfy" }],
    ["an explicit exit-code mapping wins over fileUploadError", { ...conditions, fileUploadError: { jobAction: "none" } }, { exitCode: 3, error: "fileUpload" }, { jobAction: "none", dependencyAction: "satisfy" }],
    ["fileUploadError when the exit code is unlisted", { fileUploadError: { dependencyAction: "satisfy" }, default: { jobAction: "none" } }, { exitCode: 0, error: "fileUpload" }, { jobAction: "terminate", dependencyAction: "satisfy" }],
    ["default for an upload failure without fileUploadError", { default: { jobAction: "disable" } }, { exitCode: 0, error: "fileUpload" }, { jobAction: "disable", dependencyAction: "block" }],
    ["a task ended early takes default", { default: { jobAction: "none" } }, { error: "other" }, { jobAction: "none", dependencyAction: "block" }],
  ];
  for (const [name, given, ending, expected] of cases) {
    it(name, () => assert.deepEqual(resolveExitOptions(given, ending), expected));
  }

  it("takes no job action for a task ended by a request, whatever default says; its dependants follow default", () => {
    assert.deepEqual(endedByRequest(undefined), { jobAction: "none", dependencyAction: "block" });
    assert.deepEqual(endedByRequest({ default: { jobAction: "terminate", dependencyAction: "satisfy" } }), { jobAction: "none", dependencyAction: "satisfy" });
  });

  it("classifies a run's end by its failure code", () => {
    assert.deepEqual(runEnding(0, undefined), { exitCode: 0 });
    assert.deepEqual(runEnding(0, "FileUploadContainerNotFound"), { exitCode: 0, error: "fileUpload" });
    assert.deepEqual(runEnding(undefined, "CommandProgramNotFound"), { error: "preProcessing" });
    assert.deepEqual(runEnding(undefined, "BlobNotFound"), { error: "preProcessing" });
    assert.deepEqual(runEnding(137, "TaskEnded"), { exitCode: 137, error: "other" });
  });
});
