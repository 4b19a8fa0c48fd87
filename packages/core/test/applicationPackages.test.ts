import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applicationPackageDirectoryName, applicationPackageVariableNames, applicationVersionProblem, zipEntryPathProblem } from "../src/index.js";

describe("application package names", () => {
  it("names variables as semantics.md §2.9 observes (lower-case) and as the variables page writes them (upper-case)", () => {
    assert.deepEqual(applicationPackageVariableNames("Agent-linux-x64", "1.1.46.0", false), [
      "AZ_BATCH_APP_PACKAGE_agent_linux_x64_1_1_46_0",
      "AZ_BATCH_APP_PACKAGE_AGENT_LINUX_X64_1_1_46_0",
    ]);
    assert.deepEqual(applicationPackageVariableNames("foo", "1", true), [
      "AZ_BATCH_APP_PACKAGE_foo_1",
      "AZ_BATCH_APP_PACKAGE_FOO_1",
      "AZ_BATCH_APP_PACKAGE_foo",
      "AZ_BATCH_APP_PACKAGE_FOO",
    ]);
  });

  it("names the node directory <appid><version>.<hash> with the id lower-cased and 16 hex digits of the hash", () => {
    assert.equal(applicationPackageDirectoryName("Blender", "2.7", "ABCDEF0123456789ffff"), "blender2.7.abcdef0123456789");
  });

  it("accepts versions of letters, digits, '.', '-' and '_' up to 64 characters", () => {
    for (const good of ["1.0", "2024_01-rc.1", "x".repeat(64)]) assert.equal(applicationVersionProblem(good), undefined, good);
    for (const bad of ["", "1 0", "1/0", "..\\x", "x".repeat(65), 3]) assert.notEqual(applicationVersionProblem(bad), undefined, String(bad));
  });

  it("refuses zip entry names that could leave the package directory", () => {
    for (const good of ["a.txt", "bin/", "bin/run.sh", "a/b/c..d", ".hidden", "./x"]) assert.equal(zipEntryPathProblem(good), undefined, good);
    for (const bad of ["", "/", "../x", "a/../../x", "a/..", "/etc/passwd", "C:/x", "c:x", "a\\..\\x", "a\0b"]) {
      assert.notEqual(zipEntryPathProblem(bad), undefined, JSON.stringify(bad));
    }
  });
});
