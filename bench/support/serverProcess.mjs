// A benchmark server in a process of its own (support/benchServer.mjs in a child), so that its memory and CPU are
// measured apart from the client's: `startServerProcess(options)` forks this file, which starts the server and
// reports its URL; `stop()` closes it and removes its data directory.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

if (process.send !== undefined && process.argv[2] === "--child") {
  const { startBenchServer } = await import("./benchServer.mjs");
  const bench = await startBenchServer(JSON.parse(process.argv[3] ?? "{}"));
  process.on("message", async (message) => {
    if (message !== "stop") return;
    await bench.close();
    process.exit(0);
  });
  process.send({ url: bench.server.url, account: bench.account, dataDir: bench.dataDir });
}

export async function startServerProcess(options = {}) {
  const child = fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify(options)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const info = await new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`the server process exited (${code})`)));
  });
  return {
    ...info,
    pid: child.pid,
    /** The server process's resident memory now and at its peak, in MB (/proc VmRSS, VmHWM). */
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) / 1024;
      return { rss: field("VmRSS"), peak: field("VmHWM") };
    },
    /** CPU time of the server's main thread (its event loop, where SQLite runs too), in ms. */
    mainThreadCpuMs() {
      const stat = readFileSync(`/proc/${child.pid}/task/${child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send("stop");
      await exited;
    },
  };
}
