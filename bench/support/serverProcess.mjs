// A real server in a process of its own, so that a benchmark can read its RSS and CPU from /proc apart from the
// benchmark's client: `node bench/support/serverProcess.mjs '<ServerOptions as JSON>'` prints one line
// `{"url":…,"pid":…}` once it listens, and closes on SIGTERM (agents stay: they are detached on purpose).
import { fileURLToPath } from "node:url";
import { startServer } from "@openbatch/server";

const options = JSON.parse(process.argv[2] ?? "{}");
const server = await startServer({
  port: 0,
  logLevel: "silent",
  localAgentEntry: fileURLToPath(import.meta.resolve("@openbatch/agent/main")),
  ...options,
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.once("SIGTERM", () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
