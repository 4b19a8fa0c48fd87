#!/usr/bin/env node
// The `openbatch` bin. It is a source file, not the compiled main.js, because npm links bins while it installs,
// before anything is built: a bin pointing into dist/ would be skipped and `npx openbatch` would find no executable.
// The root package's postinstall builds dist/, so after one `npm ci` this finds it.
import { existsSync } from "node:fs";

const main = new URL("../dist/src/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("openbatch: the command is not built yet; run `npm run build` at the root of the repository.\n");
  process.exit(1);
}
// `npx` runs a bin from the directory of the package it belongs to; the person meant paths relative to theirs.
if (process.env.npm_command === "exec" && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
await import(main.href);
