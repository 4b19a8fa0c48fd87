/**
 * docs/containers.md, executed where a test can: its `registries.conf` and `containers.conf` blocks are given to podman
 * as written (with a storage of the test's own), and an agent probing this host with them finds podman working
 * (`--probe-isolation` asks the runtime for its full state). Its Python and JSON examples run in
 * tests/containers/containerTasks.test.ts (which reads them from the page); its `apt-get` line is not run here (a
 * test does not install packages) but what it installs is installed, and .ci/run installs it. Any other runnable
 * snippet fails this test until something runs it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";
import { executableLanguages, shellCommands, snippetsOf } from "./snippets.js";

const run = promisify(execFile);
const doc = readFileSync(fileURLToPath(new URL("../../../docs/containers.md", import.meta.url)), "utf8");
const agentMain = fileURLToPath(import.meta.resolve("@openbatch/agent/main"));

describe("docs/containers.md", () => {
  it("has only snippets that run: the install command's packages are installed, and the examples containerTasks runs", async () => {
    const runnable = snippetsOf("docs/containers.md").filter((snippet) => executableLanguages.has(snippet.language));
    assert.deepEqual(runnable.map((snippet) => snippet.language), ["sh", "python", "json"], "containerTasks.test.ts runs the first python and json blocks; a new snippet needs a runner");
    const [install] = runnable;
    assert.deepEqual(shellCommands(install?.code ?? ""), ["apt-get install -y podman runc"]);
    const ci = readFileSync(fileURLToPath(new URL("../../../.ci/run", import.meta.url)), "utf8");
    for (const name of ["podman", "runc"]) {
      assert.match(ci, new RegExp(`missing\\+=\\(${name}\\)`), `.ci/run installs ${name}`);
      const { stdout } = await run("dpkg-query", ["--show", "--showformat", "${Status}", name]);
      assert.equal(stdout, "install ok installed", name);
    }
  });

  const directory = mkdtempSync(join(tmpdir(), "openbatch-containers-doc-"));
  after(async () => {
    await run("umount", ["-R", join(directory, "storage", "overlay")]).catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
  });

  it("has podman configuration that podman accepts and agents use", async () => {
    const blocks = [...doc.matchAll(/```toml\n([\s\S]*?)```/g)].map((match) => match[1] as string);
    assert.equal(blocks.length, 2);
    const [registries, containers] = blocks as [string, string];
    writeFileSync(join(directory, "registries.conf"), registries);
    writeFileSync(join(directory, "containers.conf"), containers);
    writeFileSync(join(directory, "storage.conf"), `[storage]\ndriver = "overlay"\ngraphroot = "${join(directory, "storage")}"\nrunroot = "${join(directory, "run")}"\n`);
    const env = {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      CONTAINERS_CONF: join(directory, "containers.conf"),
      CONTAINERS_STORAGE_CONF: join(directory, "storage.conf"),
      CONTAINERS_REGISTRIES_CONF: join(directory, "registries.conf"),
    };
    const info = JSON.parse((await run("podman", ["info", "--format", "json"], { env })).stdout) as { host: { ociRuntime: { name: string } }; registries: Record<string, { Insecure?: boolean }> };
    assert.equal(info.host.ociRuntime.name, "runc");
    assert.equal(info.registries["127.0.0.1:5000"]?.Insecure, true, JSON.stringify(info.registries));
    const probe = JSON.parse((await run(process.execPath, [agentMain, "--probe-isolation"], { env: { ...env, OPENBATCH_AGENT_ISOLATION: "off" } })).stdout) as { containerRuntime: { name?: string; reason?: string } };
    assert.equal(probe.containerRuntime.name, "podman", JSON.stringify(probe));
    const off = JSON.parse((await run(process.execPath, [agentMain, "--probe-isolation"], { env: { ...env, OPENBATCH_AGENT_ISOLATION: "off", OPENBATCH_AGENT_CONTAINER_RUNTIME: "off" } })).stdout) as { containerRuntime: { reason?: string } };
    assert.match(off.containerRuntime.reason ?? "", /turned off/);
  });
});
