// Compiles native/spawner.c into native/build/openbatch-spawner when a C compiler is at hand (Linux only). Without
// one the agent starts processes with Node's child_process, as before: slower, same behaviour. Runs on `npm ci`
// (root postinstall) and `npm run build`; it does nothing when the binary is newer than its source.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../native/spawner.c", import.meta.url));
const directory = fileURLToPath(new URL("../native/build/", import.meta.url));
const binary = `${directory}openbatch-spawner`;

if (process.platform !== "linux") {
  console.log("openbatch-spawner: not Linux; the agent will start processes with Node's child_process.");
  process.exit(0);
}
if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
const compiler = process.env.CC ?? "cc";
mkdirSync(directory, { recursive: true });
const partial = `${binary}.${process.pid}`;
const result = spawnSync(compiler, ["-O2", "-Wall", "-Wextra", "-Werror", "-o", partial, source], { stdio: "inherit" });
if (result.error !== undefined || result.status !== 0) {
  console.warn(`openbatch-spawner: could not compile with '${compiler}' (${result.error?.message ?? `exit ${result.status}`}); the agent will start processes with Node's child_process.`);
  process.exit(0);
}
renameSync(partial, binary);
console.log(`openbatch-spawner: built ${binary}`);
