/**
 * The import rules `npm run lint` checks with dependency-cruiser (.dependency-cruiser.cjs) fire: fixture modules laid
 * out like the server's layers, in a scratch directory, are cruised with the repository's own configuration.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { ESLint } from "eslint";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const depcruise = join(repoRoot, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

describe("lint: no import cycles, and the server's layers", () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), "openbatch-layers-"));
    copyFileSync(join(repoRoot, "tsconfig.base.json"), join(scratch, "tsconfig.base.json"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** Writes `files` (path → imports) as TypeScript modules and returns the rule and ends of each violation. */
  function violations(name: string, files: Record<string, readonly string[]>): string[] {
    const root = join(scratch, name);
    for (const [path, imports] of Object.entries(files)) {
      const file = join(root, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${imports.map((target) => `import type {} from "${target}";`).join("\n")}\nexport const here = 1;\n`);
    }
    copyFileSync(join(scratch, "tsconfig.base.json"), join(root, "tsconfig.base.json"));
    const result = spawnSync(process.execPath, [depcruise, "--config", join(repoRoot, ".dependency-cruiser.cjs"), "--output-type", "json", "packages"], { cwd: root, encoding: "utf8" });
    assert.ok(result.stdout.length > 0, result.stderr);
    const output = JSON.parse(result.stdout) as { summary: { violations: Violation[] } };
    return output.summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`).sort();
  }

  it("accepts the layers in their order", () => {
    assert.deepEqual(
      violations("ordered", {
        "packages/server/src/handlers/job.ts": ["../services/jobService.js", "../records/jobs.js"],
        "packages/server/src/services/jobService.ts": ["../lifecycle/jobs.js", "../effects/transaction.js"],
        "packages/server/src/loops/deadlines.ts": ["../lifecycle/jobs.js"],
        "packages/server/src/lifecycle/jobs.ts": ["../effects/transaction.js", "../records/jobs.js"],
        "packages/server/src/effects/transaction.ts": ["../records/jobs.js"],
        "packages/server/src/records/jobs.ts": [],
      }),
      [],
    );
  });

  it("refuses a cycle in any package, type-only imports included", () => {
    assert.deepEqual(
      violations("cycle", {
        "packages/client/src/a.ts": ["./b.js"],
        "packages/client/src/b.ts": ["./a.js"],
      }),
      ["no-circular: packages/client/src/a.ts → packages/client/src/b.ts"],
    );
  });

  it("refuses imports against the layers", () => {
    assert.deepEqual(
      violations("crossed", {
        "packages/server/src/records/tasks.ts": ["../lifecycle/tasks.js"],
        "packages/server/src/lifecycle/tasks.ts": ["../services/taskService.js"],
        "packages/server/src/effects/effects.ts": ["../loops/schedulingLoop.js"],
        "packages/server/src/services/taskService.ts": ["../loops/schedulingLoop.js"],
        "packages/server/src/loops/schedulingLoop.ts": ["../services/jobService.js"],
        "packages/server/src/services/jobService.ts": [],
        "packages/server/src/handlers/task.ts": ["../lifecycle/tasks.js"],
      }),
      [
        "effects-know-only-records: packages/server/src/effects/effects.ts → packages/server/src/loops/schedulingLoop.ts",
        "handlers-call-services: packages/server/src/handlers/task.ts → packages/server/src/lifecycle/tasks.ts",
        "lifecycle-never-calls-up: packages/server/src/lifecycle/tasks.ts → packages/server/src/services/taskService.ts",
        "loops-beside-services: packages/server/src/loops/schedulingLoop.ts → packages/server/src/services/jobService.ts",
        "records-are-a-leaf: packages/server/src/records/tasks.ts → packages/server/src/lifecycle/tasks.ts",
        "services-not-loops-or-http: packages/server/src/services/taskService.ts → packages/server/src/loops/schedulingLoop.ts",
      ],
    );
  });
});

describe("lint: states are written only by the lifecycle layer", () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const rules = async (path: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: join(repoRoot, path) });
    assert.ok(result !== undefined);
    return result.messages.map((message) => `${message.line}:${message.ruleId}`);
  };
  const writes = 'export const task = { state: "active" };\nexport const node = { previousState: "idle" as const, allocationState: "steady" };\n';

  it("refuses a literal state outside lifecycle/ and records/", async () => {
    assert.deepEqual(await rules("packages/server/src/services/fixture.ts", writes), ["1:no-restricted-syntax", "2:no-restricted-syntax", "2:no-restricted-syntax"]);
    assert.deepEqual(await rules("packages/server/src/loops/fixture.ts", writes), ["1:no-restricted-syntax", "2:no-restricted-syntax", "2:no-restricted-syntax"]);
  });

  it("accepts it in lifecycle/, and a state that is read", async () => {
    assert.deepEqual(await rules("packages/server/src/lifecycle/fixture.ts", writes), []);
    assert.deepEqual(await rules("packages/server/src/services/fixture.ts", 'export const active = (task: { state?: string }) => task.state === "active";\n'), []);
  });
});
