/**
 * The agent's package installation on its own (packages/agent/src/nodes/applicationPackages.ts), below the
 * server's upload checks: extraction refuses entries that would leave the package directory even when the server
 * was bypassed, downloads are checked against their hash, and nothing partial is left behind.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ApplicationPackageFailure, ApplicationPackageInstaller, applicationPackageEnvironment, extractZip } from "@openbatch/agent";
import { makeZip, renameEntry } from "../support/zipFixture.js";

describe("agent package installation", () => {
  let directory: string;
  let server: Server;
  let url: string;
  const served = new Map<string, Buffer>();
  let requests = 0;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), "openbatch-packages-"));
    server = createServer((request, response) => {
      requests++;
      const body = request.headers.authorization === "Bearer agent-token" ? served.get(request.url ?? "") : undefined;
      response.writeHead(body === undefined ? 404 : 200).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const write = (name: string, content: Buffer): string => {
    const path = join(directory, name);
    writeFileSync(path, content);
    return path;
  };

  it("refuses entries that would leave the target: '..', absolute names and symbolic links", async () => {
    const cases: [string, Buffer][] = [
      ["dotdot.zip", renameEntry(await makeZip([{ name: "ok.txt", content: "fine" }, { name: "xx/evil.txt", content: "boom" }]), "xx/evil.txt", "../evil.txt")],
      ["absolute.zip", renameEntry(await makeZip([{ name: "xtmp/evil", content: "boom" }]), "xtmp/evil", "/tmp/evil")],
      ["link.zip", await makeZip([{ name: "link", content: "/etc/passwd", mode: 0o120777 }])],
    ];
    for (const [name, zip] of cases) {
      const target = join(directory, `out-${name}`);
      await assert.rejects(extractZip(write(name, zip), target), (error: Error) => error instanceof ApplicationPackageFailure || /relative path|absolute path/.test(error.message), name);
      assert.equal(existsSync(join(directory, "evil.txt")), false, name);
    }
  });

  it("installs a package once into applications/<appid><version>.<hash>, checking its hash", async () => {
    const zip = await makeZip([{ name: "run.sh", mode: 0o755, content: "#!/bin/sh\necho hi\n" }]);
    const sha256 = createHash("sha256").update(zip).digest("hex");
    served.set(`/_agent/v1/application-packages/${sha256}`, zip);
    const installer = new ApplicationPackageInstaller({ serverUrl: url, token: "agent-token" });
    const applications = join(directory, "applications");
    const deployment = { applicationId: "Tool", version: "1.2-b", sha256, sizeInBytes: zip.length, referencedWithoutVersion: true };
    const before = requests;
    await Promise.all([installer.install(applications, [deployment]), installer.install(applications, [deployment])]);
    await installer.install(applications, [deployment]);
    assert.equal(requests - before, 1, "concurrent and repeated installs download once");
    const installed = join(applications, `tool1.2-b.${sha256.slice(0, 16)}`);
    assert.equal(statSync(join(installed, "run.sh")).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(applications), [`tool1.2-b.${sha256.slice(0, 16)}`]);
    assert.deepEqual(applicationPackageEnvironment(applications, [deployment]), {
      AZ_BATCH_APP_PACKAGE_tool_1_2_b: installed,
      AZ_BATCH_APP_PACKAGE_TOOL_1_2_B: installed,
      AZ_BATCH_APP_PACKAGE_tool: installed,
      AZ_BATCH_APP_PACKAGE_TOOL: installed,
    });

    const wrongHash = { ...deployment, version: "2", sha256: "0".repeat(64) };
    served.set(`/_agent/v1/application-packages/${"0".repeat(64)}`, zip);
    await assert.rejects(installer.install(applications, [wrongHash]), (error: Error) => error instanceof ApplicationPackageFailure && /SHA-256/.test(error.message));
    const missing = { ...deployment, version: "3", sha256: "1".repeat(64) };
    await assert.rejects(installer.install(applications, [missing]), (error: Error) => error instanceof ApplicationPackageFailure && /HTTP 404/.test(error.message));
    assert.deepEqual(readdirSync(applications), [`tool1.2-b.${sha256.slice(0, 16)}`], "failed installs leave nothing behind");
  });
});
