/**
 * docs/deployment.md, executed as written: its shell blocks run with bash, section by section, in a namespace of
 * their own (`unshare --net --mount --pid`: port 8090 is free there, nothing they start outlives the run, and an
 * /etc/hosts of their own makes `batch.example.org` this machine). "On one machine" runs alone; "HTTPS" runs before
 * "On several machines" and before "On a Slurm cluster", which also gets a throwaway Slurm cluster started in the
 * namespace (support/slurmCluster.ts) — as on a login node, Slurm's commands find it through SLURM_CONF.
 * "Several replicas on PostgreSQL" gets a throwaway PostgreSQL cluster started in the namespace
 * (support/postgresCluster.ts), its database's URL in ~/store-url as the section says.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { removeTaskAccounts } from "../support/taskAccounts.js";

const repository = fileURLToPath(new URL("../../../", import.meta.url));
const harness = fileURLToPath(new URL("../support/slurmCluster.js", import.meta.url));
const postgresHarness = fileURLToPath(new URL("../support/postgresCluster.js", import.meta.url));
const doc = readFileSync(join(repository, "docs/deployment.md"), "utf8");

/** The fenced blocks of each `## ` section, by title. */
function sections(): Map<string, { language: string; code: string }[]> {
  const result = new Map<string, { language: string; code: string }[]>();
  let title = "";
  const lines = doc.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.startsWith("## ")) {
      title = line.slice(3).trim();
      result.set(title, []);
      continue;
    }
    const open = /^```(\w*)\s*$/.exec(line);
    if (open === null) continue;
    const body: string[] = [];
    while (index + 1 < lines.length && !/^```\s*$/.test(lines[index + 1] as string)) body.push(lines[++index] as string);
    index++;
    result.get(title)?.push({ language: open[1] as string, code: `${body.join("\n")}\n` });
  }
  return result;
}

const shellOf = (title: string) => (sections().get(title) ?? []).filter((block) => block.language === "sh").map((block) => block.code);

const slurmPrelude = `
node --input-type=module -e '
const { startSlurmCluster } = await import(process.env.SLURM_HARNESS);
const cluster = await startSlurmCluster();
(await import("node:fs")).writeFileSync(process.env.HOME + "/.slurm-env", "export SLURM_CONF=" + cluster.env.SLURM_CONF + "\\n");
setInterval(() => {}, 1 << 30);' > "$TMPDIR/slurm.log" 2>&1 &
until [ -f ~/.slurm-env ]; do sleep 0.5; done
. ~/.slurm-env
`;

// The cluster's directory goes to a directory of the run's own that the `postgres` OS user can reach (the
// harness there removes only clusters of its own: in the PID namespace every other owner looks dead); the
// namespace ends the postmaster with the run, and the test removes the directory.
const postgresPrelude = `
TMPDIR="$POSTGRES_TMPDIR" node --input-type=module -e '
const { startPostgresCluster } = await import(process.env.POSTGRES_HARNESS);
const cluster = await startPostgresCluster();
const url = await cluster.createDatabase();
const fs = await import("node:fs");
fs.writeFileSync(process.env.HOME + "/store-url.tmp", url + "\\n", { mode: 0o600 });
fs.renameSync(process.env.HOME + "/store-url.tmp", process.env.HOME + "/store-url");
setInterval(() => {}, 1 << 30);' > "$TMPDIR/postgres.log" 2>&1 &
until [ -f ~/store-url ]; do kill -0 $! || { cat "$TMPDIR/postgres.log" >&2; exit 1; }; sleep 0.5; done
`;

const work = mkdtempSync(join(tmpdir(), "openbatch-deployment-doc-"));
// Traversable (not readable) by others: the PostgreSQL cluster of a section runs as the `postgres` user below it.
chmodSync(work, 0o711);
const homes: string[] = [];

/** Runs the sections' shell blocks in one bash, in a namespace of their own; resolves with what they printed. */
async function runSections(name: string, titles: readonly string[], prelude = ""): Promise<string> {
  const home = join(work, name, "home");
  const temporary = join(work, name, "tmp");
  mkdirSync(home, { recursive: true });
  mkdirSync(temporary, { recursive: true });
  const postgresTemporary = join(work, name, "postgres");
  mkdirSync(postgresTemporary, { mode: 0o755 });
  homes.push(home);
  const hosts = join(work, name, "hosts");
  writeFileSync(hosts, `127.0.0.1 localhost batch.example.org ${hostname()} ${hostname().split(".")[0]}\n::1 localhost\n`);
  const blocks = titles.flatMap((title) => {
    const found = shellOf(title);
    assert.ok(found.length > 0, `docs/deployment.md has shell commands under "${title}"`);
    return found;
  });
  const script = join(work, name, "run.sh");
  writeFileSync(
    script,
    [
      "set -euo pipefail",
      `mount --bind ${hosts} /etc/hosts`,
      "ip link set lo up",
      // A link besides loopback (a veth pair, both ends here): slurmctld's lookups of its listening address
      // (AI_ADDRCONFIG) find nothing on a machine with loopback alone.
      "ip link add obdoc0 type veth peer name obdoc1",
      "ip addr add 10.213.255.1/24 dev obdoc0",
      "ip link set obdoc0 up",
      "ip link set obdoc1 up",
      `cd ${repository}`,
      prelude,
      ...blocks,
    ].join("\n"),
  );
  const { stdout } = await promisify(execFile)("unshare", ["--net", "--mount", "--pid", "--fork", "--mount-proc", "bash", script], {
    env: { ...process.env, HOME: home, TMPDIR: temporary, SLURM_HARNESS: harness, POSTGRES_HARNESS: postgresHarness, POSTGRES_TMPDIR: postgresTemporary, AZURE_CORE_COLLECT_TELEMETRY: "no", AZURE_CONFIG_DIR: join(home, ".azure") },
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    const logs = ["serve.log", "agent.log", "serve-8091.log", "serve-8092.log", "serve-8093.log", "tmp/postgres.log"].map((file) => {
      try {
        return `${file}:\n${readFileSync(join(file.startsWith("tmp/") ? join(home, "..") : home, file), "utf8").slice(-3000)}`;
      } catch {
        return "";
      }
    });
    throw new Error(`${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}\n${logs.join("\n")}`);
  });
  return stdout;
}

describe("docs/deployment.md", () => {
  after(() => {
    // As root, agents made OS accounts for the pools' identities; the namespace took their processes along.
    for (const home of homes) {
      removeTaskAccounts(join(home, "openbatch"));
      removeTaskAccounts(join(home, "openbatch-agent"));
      let pilots: string[] = [];
      try {
        pilots = readdirSync(join(home, "pilots"));
      } catch {
        // no pilots in this section
      }
      for (const pilot of pilots) removeTaskAccounts(join(home, "pilots", pilot));
    }
    rmSync(work, { recursive: true, force: true });
  });

  it("has shell commands only in the sections this test runs", () => {
    const runnable = new Set(["sh", "bash", "python", "ts", "js", "json"]);
    for (const [title, blocks] of sections()) {
      const executable = blocks.filter((block) => runnable.has(block.language));
      if (["On one machine", "HTTPS", "On several machines", "On a Slurm cluster", "Several replicas on PostgreSQL"].includes(title)) continue;
      assert.deepEqual(executable, [], `"${title}" has blocks no test runs`);
    }
  });

  it("runs 'On one machine': a local pool's nodes come up", async () => {
    const output = await runSections("one", ["On one machine"]);
    assert.deepEqual(output.trim().split("\n").slice(-2), ["idle", "idle"]);
  });

  it("runs 'HTTPS' and 'On several machines': an agent joins over HTTPS and hosts the pool's nodes", async () => {
    const output = await runSections("several", ["HTTPS", "On several machines"]);
    const lines = output.trim().split("\n");
    const idle = lines.filter((line) => line === "idle");
    assert.equal(idle.length, 4, output);
    const listed = JSON.parse(output.slice(output.lastIndexOf("[\n"))) as { id: string; revoked: boolean; poolId: string }[];
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.poolId, "hosts");
    assert.equal(listed[0]?.revoked, false);
  });

  it("runs 'HTTPS' and 'On a Slurm cluster': pilot jobs host the pool's nodes", async () => {
    const output = await runSections("slurm", ["HTTPS", "On a Slurm cluster"], slurmPrelude);
    const lines = output.trim().split("\n");
    assert.deepEqual(lines.slice(-4, -2), ["idle", "idle"], output);
    for (const line of lines.slice(-2)) assert.match(line, /^ob[0-9a-f]{6}-agent-[0-9a-f]{12} RUNNING$/);
  });

  it("runs 'Several replicas on PostgreSQL': three replicas on one database serve one pool, one of them leads the account", async () => {
    const output = await runSections("replicas", ["Several replicas on PostgreSQL"], postgresPrelude);
    const lines = output.trim().split("\n");
    const health = lines.filter((line) => line.startsWith('{"status"')).map((line) => JSON.parse(line) as { status: string; details: { replica?: { replicas: number; leading: { account: string }[] } } });
    assert.equal(health.length, 3, output);
    assert.deepEqual(lines.slice(-5, -3), ["idle", "idle"], output);
    for (const answer of health) {
      assert.equal(answer.status, "ok");
      assert.equal(answer.details.replica?.replicas, 3, output);
    }
    const leaders = health.filter((answer) => answer.details.replica?.leading.some((entry) => entry.account === "myaccount") === true);
    assert.equal(leaders.length, 1, output);
  });
});
