import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { ESLint } from "eslint";

/** The repository root, seen from tests/dist/lint/. */
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

const crossing = "package-boundaries/no-relative-import-across-packages";
const deepName = "no-restricted-imports";

/** Lints `code` as if it were the file at `path` (relative to the repository), with the repository's own config. */
async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, path) });
  assert.ok(result !== undefined);
  for (const message of result.messages) assert.ok(message.ruleId !== null, `${path}: ${message.message}`);
  return result.messages.map((message) => `${message.line}:${message.ruleId}`);
}

describe("lint: packages reach each other only by name", () => {
  it("refuses relative imports into another package's sources or dist, from any depth", async () => {
    assert.deepEqual(await problems("packages/server/src/http/fixture.ts", 'import { limits } from "../../../core/dist/src/index.js";\nexport { limits };\n'), [`1:${crossing}`]);
    assert.deepEqual(await problems("packages/server/src/providers/local/fixture.ts", 'import { limits } from "../../../../core/src/index.js";\nexport { limits };\n'), [`1:${crossing}`]);
    assert.deepEqual(
      await problems(
        "packages/server/src/fixture.ts",
        [
          'export * from "../../protocol/src/index.js";',
          'export { Store } from "../../store/src/store.js";',
          'const lazy = await import("../../scheduler/src/index.js");',
          'import "../../core";',
          "export { lazy };",
        ].join("\n"),
      ),
      [`1:${crossing}`, `2:${crossing}`, `3:${crossing}`, `4:${crossing}`],
    );
  });

  it("refuses imports that leave the package for the repository root, and tests that reach into packages by path", async () => {
    assert.deepEqual(await problems("packages/core/src/fixture.ts", 'import "../../../scripts/lint/packageBoundaries.mjs";\n'), [`1:${crossing}`]);
    assert.deepEqual(await problems("tests/protocol/fixture.ts", 'import { limits } from "../../packages/core/src/index.js";\nexport { limits };\n'), [`1:${crossing}`]);
    assert.deepEqual(await problems("scripts/fixture.mjs", 'import { operations } from "../packages/protocol/dist/src/index.js";\nexport { operations };\n'), [`1:${crossing}`]);
    assert.deepEqual(await problems("bench/fixture.mjs", 'import { limits } from "../packages/core/src/index.js";\nexport { limits };\n'), [`1:${crossing}`]);
  });

  it("refuses deep imports through a package's name", async () => {
    assert.deepEqual(await problems("packages/server/src/fixture.ts", 'import { limits } from "@openbatch/core/src/limits.js";\nexport { limits };\n'), [`1:${deepName}`]);
  });

  it("accepts imports by name and relative imports that stay inside the package, however deep", async () => {
    const inPackage = [
      'import { limits } from "@openbatch/core";',
      'import { operations } from "@openbatch/protocol";',
      'import { createApp } from "../../http/app.js";',
      'import { ComputeProvider } from "../computeProvider.js";',
      'import { parseListOptions } from "../../../src/odata/listQuery.js";',
      'import packageJson from "../../../package.json" with { type: "json" };',
      "export { limits, operations, createApp, ComputeProvider, parseListOptions, packageJson };",
    ].join("\n");
    assert.deepEqual(await problems("packages/server/src/providers/local/fixture.ts", inPackage), []);
    assert.deepEqual(await problems("packages/server/test/fixture.ts", 'import { createApp } from "../src/http/app.js";\nexport { createApp };\n'), []);
    assert.deepEqual(await problems("tests/protocol/fixture.ts", 'import { batchRequest } from "../support/batchRequest.js";\nexport { batchRequest };\n'), []);
    // The benchmarks may use the tests' compiled request helpers (eslint.config.mjs allows that one crossing).
    assert.deepEqual(await problems("bench/fixture.mjs", 'import { batchRequest } from "../tests/dist/support/batchRequest.js";\nexport { batchRequest };\n'), []);
  });
});
