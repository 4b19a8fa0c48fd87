import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { CommandLineError, splitCommandLine } from "../src/index.js";

/** [command line, expected argv, whether /bin/sh splits it the same way (no expansion involved)] */
const cases: [string, string[], boolean][] = [
  ["", [], true],
  ["   \t ", [], true],
  ["echo", ["echo"], true],
  ["echo hello world", ["echo", "hello", "world"], true],
  ["  echo   spaced\targs\n", ["echo", "spaced", "args"], true],
  ["a\r\nb", ["a", "b"], false],
  ["/bin/sh -c 'echo a b'", ["/bin/sh", "-c", "echo a b"], true],
  ['/bin/sh -c "printenv X"', ["/bin/sh", "-c", "printenv X"], true],
  ["'single \\ \" $x'", ['single \\ " $x'], true],
  ['"double \\" \\\\ \\$ \\` end"', ['double " \\ $ ` end'], true],
  ['"keeps \\n \\a"', ["keeps \\n \\a"], true],
  ["a\\ b", ["a b"], true],
  ["\\'quoted\\'", ["'quoted'"], true],
  ['\\"x\\"', ['"x"'], true],
  ["a\\\\b", ["a\\b"], true],
  ["trailing\\", ["trailing\\"], true],
  ["a\\\nb", ["ab"], true],
  ['"a\\\nb"', ["ab"], true],
  ["a 'b\nc'", ["a", "b\nc"], true],
  ["a\"b c\"'d'", ["ab cd"], true],
  ["''", [""], true],
  ['x "" y', ["x", "", "y"], true],
  ["x '' y", ["x", "", "y"], true],
  ["pre''post", ["prepost"], true],
  ["$HOME", ["$HOME"], false],
  ["echo $AZ_BATCH_POOL_ID", ["echo", "$AZ_BATCH_POOL_ID"], false],
  ['"$HOME"', ["$HOME"], false],
  ["~/bin", ["~/bin"], false],
  ["*.txt ?.log [ab]", ["*.txt", "?.log", "[ab]"], false],
  ["a|b;c&d>e<f", ["a|b;c&d>e<f"], false],
  ["echo # not a comment", ["echo", "#", "not", "a", "comment"], false],
  ["`date`", ["`date`"], false],
  ["cmd.exe /c \"dir C:\\\\\"", ["cmd.exe", "/c", "dir C:\\"], true],
  ["unicode 'é ü' ✓", ["unicode", "é ü", "✓"], true],
];

describe("splitCommandLine", () => {
  for (const [line, expected] of cases) {
    it(`splits ${JSON.stringify(line)}`, () => {
      assert.deepEqual(splitCommandLine(line), expected);
    });
  }

  it("agrees with /bin/sh where no expansion is involved", () => {
    for (const [line, expected, comparable] of cases) {
      if (!comparable) continue;
      // The shell splits the line into the arguments of a function that prints them NUL-separated.
      const script = `f() { for a in "$@"; do printf '%s\\0' "$a"; done; }; eval "f $1"`;
      const result = spawnSync("/bin/sh", ["-c", script, "sh", line], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      const shell = result.stdout === "" ? [] : result.stdout.slice(0, -1).split("\0");
      assert.deepEqual(shell, expected, `sh splits ${JSON.stringify(line)} differently`);
    }
  });

  for (const line of ["'open", '"open', "a 'b", 'echo "a\\"', "'a'\"b"]) {
    it(`refuses the unterminated quote in ${JSON.stringify(line)}`, () => {
      assert.throws(() => splitCommandLine(line), CommandLineError);
    });
  }
});
