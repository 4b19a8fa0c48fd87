// prepublishOnly: refuses to publish a package that would not work where it is installed. Checks that it is built
// (the entry point and its types exist and import), that the tarball holds only dist/src, the README and
// package.json, and that it depends on nothing of this repository's workspaces at run time (they are not published).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const problems = [];

const entry = manifest.exports["."];
for (const file of [entry.default, entry.types]) {
  if (!existsSync(join(root, file))) problems.push(`${file} is missing: run \`npm run build -w @openbatch/client\` first`);
}
if (problems.length === 0) {
  const loaded = await import(join(root, entry.default));
  if (typeof loaded.BatchServiceClient !== "function") problems.push(`${entry.default} does not export BatchServiceClient`);
}
for (const name of Object.keys(manifest.dependencies ?? {})) {
  if (name.startsWith("@openbatch/")) problems.push(`dependency ${name} is a workspace package, which is not published`);
}
for (const field of ["name", "version", "description", "license", "types", "files"]) {
  if (manifest[field] === undefined) problems.push(`package.json has no "${field}"`);
}
const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" }));
const stray = packed.files.map((file) => file.path).filter((path) => !/^dist\/src\/.+\.(js|d\.ts)$/.test(path) && path !== "README.md" && path !== "package.json");
if (stray.length > 0) problems.push(`the tarball would hold files that are not the package: ${stray.join(", ")}`);
if (!packed.files.some((file) => file.path === entry.types.replace(/^\.\//, ""))) problems.push("the tarball would hold no type declarations");

if (problems.length > 0) {
  console.error(`@openbatch/client is not ready to publish:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`@openbatch/client ${manifest.version}: ${packed.files.length} files, ${packed.size} bytes packed; ready to publish.`);
