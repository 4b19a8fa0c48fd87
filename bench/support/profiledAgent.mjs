// The node agent with V8's CPU profiler on (Node refuses `--cpu-prof` in NODE_OPTIONS): the benchmarks point the
// server's `localAgentEntry` here when PROFILE_DIR is set; the profile is written to
// `$PROFILE_DIR/agent-<pid>.cpuprofile` as the agent exits (inspector calls are synchronous on the main thread).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const directory = process.env.OPENBATCH_AGENT_PROFILE_DIR;
if (directory !== undefined) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  process.on("exit", () => {
    session.post("Profiler.stop", (error, result) => {
      if (error === null) writeFileSync(join(directory, `agent-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
await import("@openbatch/agent/main");
