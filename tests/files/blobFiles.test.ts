/**
 * The agent's resource-file downloads and output-file uploads against a real Azurite: sources, prefixes, file
 * modes, glob semantics, blob naming, upload headers, conditions, and the Batch failure codes.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { downloadResourceFiles, ResourceFileError, uploadOutputFiles } from "@openbatch/agent";
import type { OutputFile } from "@openbatch/protocol";
import { startAzurite, type Azurite } from "../support/azurite.js";

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function downloadError(promise: Promise<void>): Promise<ResourceFileError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ResourceFileError, `a ResourceFileError, got ${String(error)}`);
    return error;
  }
  assert.fail("the download succeeded");
}

describe("resource and output files against Azurite", () => {
  let azurite: Azurite;
  let root: string;
  let taskDirectory: string;
  let wd: string;
  const blob = (container: string, name: string, permissions = "r") => {
    const url = new URL(azurite.containerSasUrl(container, permissions));
    return `${url.origin}${url.pathname}/${name}${url.search}`;
  };

  before(async () => {
    azurite = await startAzurite();
    const inputs = await azurite.createContainer("inputs");
    for (const [name, text] of [["a.txt", "alpha"], ["data/b.txt", "beta"], ["data/sub/c.txt", "gamma"], ["other/d.txt", "delta"]] as const) {
      await inputs.getBlockBlobClient(name).upload(text, text.length);
    }
    await azurite.createContainer("outputs");
  });
  after(async () => {
    await azurite?.stop();
  });

  async function freshTask(): Promise<void> {
    root = await mkdtemp(join(tmpdir(), "ob-blobfiles-"));
    taskDirectory = join(root, "workitems", "job", "job-1", "task");
    wd = join(taskDirectory, "wd");
    await mkdir(wd, { recursive: true });
  }

  it("downloads an httpUrl to its filePath with its fileMode, and containers (all, or below a blobPrefix) keeping blob paths", async () => {
    await freshTask();
    await downloadResourceFiles(
      [
        { httpUrl: blob("inputs", "a.txt"), filePath: "in/a.txt", fileMode: "0644" },
        { storageContainerUrl: azurite.containerSasUrl("inputs", "rl"), blobPrefix: "data/", filePath: "prefixed" },
        { storageContainerUrl: azurite.containerSasUrl("inputs", "rl") },
      ],
      wd,
    );
    assert.equal(await readFile(join(wd, "in", "a.txt"), "utf8"), "alpha");
    assert.equal((await stat(join(wd, "in", "a.txt"))).mode & 0o777, 0o644);
    assert.equal(await readFile(join(wd, "prefixed", "data", "b.txt"), "utf8"), "beta");
    assert.equal(await readFile(join(wd, "prefixed", "data", "sub", "c.txt"), "utf8"), "gamma");
    assert.equal(await exists(join(wd, "prefixed", "other")), false, "blobs outside the prefix are not downloaded");
    assert.equal((await stat(join(wd, "prefixed", "data", "b.txt"))).mode & 0o777, 0o770, "default mode 0770");
    for (const name of ["a.txt", "data/b.txt", "data/sub/c.txt", "other/d.txt"]) assert.ok(await exists(join(wd, name)), name);
  });

  it("fails with BlobNotFound, BlobAccessDenied and ResourceFileCreateFailed, never writing outside wd or leaking the SAS", async () => {
    await freshTask();
    const missingBlob = await downloadError(downloadResourceFiles([{ httpUrl: blob("inputs", "nope.txt"), filePath: "x" }], wd));
    assert.deepEqual([missingBlob.code, missingBlob.category], ["BlobNotFound", "usererror"]);
    assert.doesNotMatch(missingBlob.message, /sig=/);
    const missingContainer = await downloadError(downloadResourceFiles([{ storageContainerUrl: azurite.containerSasUrl("nosuch", "rl") }], wd));
    assert.equal(missingContainer.code, "BlobNotFound");
    const noList = await downloadError(downloadResourceFiles([{ storageContainerUrl: azurite.containerSasUrl("inputs", "r") }], wd));
    assert.deepEqual([noList.code, noList.category], ["BlobAccessDenied", "usererror"]);
    const escape = await downloadError(downloadResourceFiles([{ httpUrl: blob("inputs", "a.txt"), filePath: "../../escaped.txt" }], wd));
    assert.equal(escape.code, "ResourceFileCreateFailed");
    assert.match(escape.message, /resourceFiles\[0\]\.filePath/);
    assert.equal(await exists(join(taskDirectory, "..", "escaped.txt")), false);
  });

  it("uploads glob matches below the pattern base, single files to their blob name, with headers; skips dot files and links", async () => {
    await freshTask();
    await mkdir(join(wd, "out", "sub"), { recursive: true });
    await writeFile(join(wd, "out", "a.txt"), "A");
    await writeFile(join(wd, "out", "sub", "b.txt"), "B");
    await writeFile(join(wd, "out", ".hidden.txt"), "H");
    await writeFile(join(wd, "out", "c?.txt"), "Q");
    await writeFile(join(wd, "report.log"), "report");
    await writeFile(join(taskDirectory, "stdout.txt"), "line 1\nline 2\n");
    await writeFile(join(taskDirectory, "stderr.txt"), "");
    const outside = join(tmpdir(), `ob-outside-${process.pid}.txt`);
    await writeFile(outside, "secret");
    await symlink(outside, join(wd, "out", "leak.txt"));
    const container = { containerUrl: azurite.containerSasUrl("outputs", "cw") };
    const files: OutputFile[] = [
      { filePattern: "out/**/*.txt", destination: { container: { ...container, path: "run1/" } }, uploadOptions: { uploadCondition: "taskcompletion" } },
      { filePattern: "../std*.txt", destination: { container: { ...container, path: "logs" } }, uploadOptions: { uploadCondition: "tasksuccess" } },
      {
        filePattern: "report.log",
        destination: {
          container: { ...container, path: "single/renamed.log", uploadHeaders: [{ name: "Content-Type", value: "text/plain" }, { name: "x-ms-meta-owner", value: "alice" }] },
        },
        uploadOptions: { uploadCondition: "taskcompletion" },
      },
      { filePattern: "$AZ_BATCH_TASK_DIR/stdout.txt", destination: { container }, uploadOptions: { uploadCondition: "taskcompletion" } },
      { filePattern: "report.log", destination: { container: { ...container, path: "failed-only.log" } }, uploadOptions: { uploadCondition: "taskfailure" } },
      { filePattern: "out/leak.txt", destination: { container }, uploadOptions: { uploadCondition: "taskcompletion" } },
      { filePattern: "out/sub", destination: { container }, uploadOptions: { uploadCondition: "taskcompletion" } },
      { filePattern: "nothing/here.txt", destination: { container }, uploadOptions: { uploadCondition: "taskcompletion" } },
      { filePattern: "/etc/**/*", destination: { container: { ...container, path: "etc" } }, uploadOptions: { uploadCondition: "taskcompletion" } },
    ];
    const failure = await uploadOutputFiles({ outputFiles: files, exitCode: 0, nodeRoot: root, taskDirectory, workingDirectory: wd, environment: { AZ_BATCH_TASK_DIR: taskDirectory } });
    await rm(outside, { force: true });
    assert.equal(failure, undefined);
    assert.deepEqual((await azurite.listBlobNames("outputs")).sort(), [
      "logs/stderr.txt",
      "logs/stdout.txt",
      "run1/a.txt",
      "run1/c?.txt",
      "run1/sub/b.txt",
      "single/renamed.log",
      "stdout.txt",
    ]);
    assert.equal(await azurite.readBlob("outputs", "logs/stdout.txt"), "line 1\nline 2\n");
    const properties = await azurite.service.getContainerClient("outputs").getBlobClient("single/renamed.log").getProperties();
    assert.equal(properties.contentType, "text/plain");
    assert.deepEqual(properties.metadata, { owner: "alice" });
    const problems = await readFile(join(taskDirectory, "fileuploaderr.txt"), "utf8");
    assert.match(problems, /leak\.txt: skipped, it leads outside/);
    assert.match(problems, /^\/etc: skipped, it leads outside/m);
    const log = await readFile(join(taskDirectory, "fileuploadout.txt"), "utf8");
    assert.equal(log.trim().split("\n").length, 7);
    assert.doesNotMatch(log, /sig=/);
  });

  it("reports FileUploadContainerNotFound and FileUploadAccessDenied as fileUpload failures", async () => {
    await freshTask();
    await writeFile(join(wd, "r.txt"), "r");
    const upload = (containerUrl: string) =>
      uploadOutputFiles({
        outputFiles: [{ filePattern: "*.txt", destination: { container: { containerUrl } }, uploadOptions: { uploadCondition: "taskcompletion" } }],
        exitCode: 0,
        nodeRoot: root,
        taskDirectory,
        workingDirectory: wd,
        environment: {},
      });
    const notFound = await upload(azurite.containerSasUrl("nosuchcontainer", "cw"));
    assert.deepEqual([notFound?.code, notFound?.category, notFound?.stage], ["FileUploadContainerNotFound", "usererror", "fileUpload"]);
    assert.doesNotMatch(notFound?.message ?? "", /sig=/);
    const denied = await upload(azurite.containerSasUrl("outputs", "r"));
    assert.deepEqual([denied?.code, denied?.category], ["FileUploadAccessDenied", "usererror"]);
    assert.match(await readFile(join(taskDirectory, "fileuploaderr.txt"), "utf8"), /denied/);
  });
});
