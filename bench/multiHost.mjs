// Benchmark: N trivial tasks (`/bin/true`) on a 12-node pool spread over 3 "hosts" (network namespaces, each running
// `openbatch agent --nodes 4`, every byte over a veth interface, HTTPS with a throwaway CA), against the same N tasks
// on a 12-node pool of the local provider on the same server, in the same run (issue #12 acceptance).
// Run after `npm run build`, as root: `node bench/multiHost.mjs [tasks] [rounds]`. Task isolation is off on both
// sides unless TASK_ISOLATION=on (then both run sandboxed). NODES_PER_AGENT=4 gives the local pool as many agent
// processes as the hosts have (by default one local agent hosts all 12 nodes).
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { Agent, setGlobalDispatcher } from "undici";
import { createVirtualHosts } from "../tests/dist/support/netns.js";
import { addExternalPool, createJoinToken, killRemoteAgents, startRemoteAgent } from "../tests/dist/support/remoteAgents.js";
import { makeTlsFixture } from "../tests/dist/support/tlsFixtures.js";
import { api, startBenchServer, until } from "./support/benchServer.mjs";

const total = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const isolation = process.env.TASK_ISOLATION === "on";
const hosts = createVirtualHosts(3);
const tls = makeTlsFixture([hosts.serverAddress]);
setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, readFileSync(tls.caFile, "utf8")] } }));
const work = mkdtempSync(join(tmpdir(), "openbatch-bench-hosts-"));
const bench = await startBenchServer({
  host: hosts.serverAddress,
  tls: { certFile: tls.certFile, keyFile: tls.keyFile },
  taskIsolation: isolation,
  ...(process.env.NODES_PER_AGENT === undefined ? {} : { nodesPerAgent: Number(process.env.NODES_PER_AGENT) }),
});
const { request, account, server } = bench;

async function run(poolId, job) {
  await request({ method: "POST", path: `/jobs?${api}`, body: { id: job, poolInfo: { poolId } } });
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i += 100) {
    const value = Array.from({ length: Math.min(100, total - i) }, (_, k) => ({ id: `t${i + k}`, commandLine: "/bin/true" }));
    const added = await request({ method: "POST", path: `/jobs/${job}/addtaskcollection?${api}`, body: { value } });
    if (added.status !== 200) throw new Error(added.text);
  }
  await until(async () => (await request({ path: `/jobs/${job}/taskcounts?${api}` })).json.taskCounts.completed === total, 100);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

try {
  await addExternalPool(server.url, account, "hosts", 12);
  const { token } = await createJoinToken(server.url, account, "hosts");
  for (const [index, host] of hosts.hosts.entries()) {
    startRemoteAgent({
      serverUrl: server.url, workDir: join(work, `h${index + 1}`), joinToken: token, nodes: 4, caFile: tls.caFile, netns: host.netns,
      env: { OPENBATCH_AGENT_ISOLATION: isolation ? "on" : "off" },
    });
  }
  await until(async () => {
    const list = await request({ path: `/pools/hosts/nodes?${api}` });
    return list.json.value.length === 12 && list.json.value.every((node) => node.state === "idle");
  }, 100);
  await bench.pool("local", 12, 1, "Standard_D2s_v3");
  const figures = { hosts: [], local: [] };
  for (let round = 1; round <= rounds; round++) {
    // Alternating, so that a busy moment of the machine does not fall on one side only.
    figures.hosts.push(await run("hosts", `hosts${round}`));
    figures.local.push(await run("local", `local${round}`));
    console.log(`round ${round}: 3 hosts ${figures.hosts.at(-1).toFixed(2)} s, local ${figures.local.at(-1).toFixed(2)} s`);
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const hostsRate = total / median(figures.hosts);
  const localRate = total / median(figures.local);
  console.log(`${total} tasks, 12 nodes × 1 slot, task isolation ${isolation ? "on" : "off"}, median of ${rounds}:`);
  console.log(`  3 hosts (external provider, 4 nodes each, HTTPS over veth): ${hostsRate.toFixed(1)} tasks/s`);
  console.log(`  local provider (same server, same machine):                  ${localRate.toFixed(1)} tasks/s`);
  console.log(`  ratio: ${(hostsRate / localRate).toFixed(2)}×`);
} finally {
  await killRemoteAgents();
  await bench.close();
  hosts.remove();
  tls.remove();
  rmSync(work, { recursive: true, force: true });
}
