// Benchmark: what running a task in a container costs over running it as a process (issue #19), same run, same node.
// A one-node pool with a container image (tests/support/podman.ts: podman with its own storage, a registry with
// basic auth on loopback, an image of busybox-static); `/bin/true` is run alternately as a process task and as a
// container task, one at a time. Figures per run, from the server's own timestamps: the run (executionInfo
// startTime → endTime: for a container, the pull with the run's credentials unless the pool's pull vouches for the
// image, create, start, the command, removal) and add → completed. Run after `npm run build`, as root with podman,
// runc, docker-registry, apache2-utils and busybox-static installed: `node bench/containerStart.mjs [rounds]`;
// `OPENBATCH_AGENT_IMAGE_CHECK_TTL=0 node bench/containerStart.mjs` makes every run pull (docs/containers.md).
import { startPodmanWorld } from "../tests/dist/support/podman.js";
import { api, percentile, startBenchServer, until } from "./support/benchServer.mjs";

const rounds = Number(process.argv[2] ?? 20);
const world = await startPodmanWorld();
const bench = await startBenchServer();
try {
  const registry = { registryServer: world.registry, username: world.username, password: world.password };
  const added = await bench.request({
    method: "POST", path: `/pools?${api}`,
    body: {
      id: "containers", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1,
      virtualMachineConfiguration: {
        imageReference: { publisher: "microsoft-azure-batch", offer: "ubuntu-server-container", sku: "20-04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 20.04",
        containerConfiguration: { type: "dockerCompatible", containerImageNames: [world.image], containerRegistries: [registry] },
      },
    },
  });
  if (added.status !== 201) throw new Error(added.text);
  await until(async () => (await bench.request({ path: `/pools/containers/nodes?${api}` })).json.value[0]?.state === "idle");
  await bench.request({ method: "POST", path: `/jobs?${api}`, body: { id: "job", poolInfo: { poolId: "containers" } } });
  const runs = { process: [], container: [] };
  const totals = { process: [], container: [] };
  for (let i = 0; i < rounds; i++) {
    for (const kind of ["process", "container"]) {
      const id = `${kind}${i}`;
      const body = { id, commandLine: "/bin/true", ...(kind === "container" ? { containerSettings: { imageName: world.image } } : {}) };
      const response = await bench.request({ method: "POST", path: `/jobs/job/tasks?${api}`, body });
      if (response.status !== 201) throw new Error(response.text);
      let task;
      await until(async () => {
        task = (await bench.request({ path: `/jobs/job/tasks/${id}?${api}` })).json;
        return task.state === "completed";
      }, 5);
      if (task.executionInfo.exitCode !== 0) throw new Error(`${id}: ${JSON.stringify(task.executionInfo)}`);
      runs[kind].push(Date.parse(task.executionInfo.endTime) - Date.parse(task.executionInfo.startTime));
      totals[kind].push(Date.parse(task.executionInfo.endTime) - Date.parse(task.creationTime));
    }
  }
  for (const list of [...Object.values(runs), ...Object.values(totals)]) list.sort((a, b) => a - b);
  const line = (label, values) => `${label}: p50 ${percentile(values, 0.5).toFixed(0)} ms, p90 ${percentile(values, 0.9).toFixed(0)} ms`;
  const ttl = process.env["OPENBATCH_AGENT_IMAGE_CHECK_TTL"] ?? "default (300)";
  console.log(`${rounds} rounds of /bin/true, alternately as a process and in a container, one node (${bench.server.taskIsolation.mode} isolation, image check TTL ${ttl} s)`);
  console.log(line("process task, run (start → end)", runs.process));
  console.log(line("container task, run (start → end)", runs.container));
  console.log(line("process task, add → completed", totals.process));
  console.log(line("container task, add → completed", totals.container));
  console.log(`container start overhead (p50 run difference): ${(percentile(runs.container, 0.5) - percentile(runs.process, 0.5)).toFixed(0)} ms`);
} finally {
  await bench.close();
  await world.dispose();
}
