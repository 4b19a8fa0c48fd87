/**
 * Every runnable snippet of the README and docs/ is run by a test, as written: each file that has one must be
 * listed here with the test that runs its snippets, and that test runs all of them (it fails on one it does not
 * know). A new file with a snippet and no runner fails here.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { it } from "node:test";
import { documentationFiles, executableLanguages, repositoryRoot, snippetsOf } from "./snippets.js";

/** Which test runs the snippets of each file. */
export const snippetRunners: Readonly<Record<string, string>> = {
  "README.md": "tests/docs/readmeTour.test.ts",
  "docs/autoscale.md": "tests/docs/autoscaleDoc.test.ts",
  "docs/containers.md": "tests/docs/containersDoc.test.ts",
  "docs/deployment.md": "tests/docs/deploymentDoc.test.ts",
  "docs/events.md": "tests/docs/eventsDoc.test.ts",
};

it("has a test that runs the snippets of every documentation file that has any", () => {
  const unrun: string[] = [];
  for (const file of documentationFiles()) {
    const runnable = snippetsOf(file).filter((snippet) => executableLanguages.has(snippet.language));
    if (runnable.length > 0 && snippetRunners[file] === undefined) unrun.push(`${file}:${runnable[0]?.line} (${runnable.length} snippets)`);
  }
  assert.deepEqual(unrun, [], "documentation snippets no test runs: add the file to snippetRunners with a test that runs them");
  for (const runner of Object.values(snippetRunners)) assert.ok(existsSync(`${repositoryRoot}${runner}`), `${runner} is missing`);
  assert.ok(snippetsOf("README.md").some((snippet) => snippet.language === "python"), "the README's Python tour is found");
});
