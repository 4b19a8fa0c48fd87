/**
 * `openbatch pool …` and `openbatch node …` against a real server with real agents: every command, its output
 * formats, --json-file, and the error paths (unknown pool, bad JSON file, wrong key, missing arguments, no --yes)
 * with their messages and exit codes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cliFor, show, type CliResult } from "../support/cli.js";
import { startAzurite, type Azurite } from "../support/azurite.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const ok = (result: CliResult) => assert.equal(result.code, 0, show(result));

describe("openbatch pool and node commands", () => {
  let server: TestServer;
  let azurite: Azurite;
  let directory: string;
  let cli: (...args: string[]) => Promise<CliResult>;

  before(async () => {
    server = await startTestServer();
    azurite = await startAzurite();
    directory = mkdtempSync(join(tmpdir(), "openbatch-cli-pool-"));
    cli = cliFor({ url: server.url, account: testAccounts.alpha });
  });
  after(async () => {
    await server.dispose();
    await azurite.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it("creates a pool from flags, waits for its nodes, and shows it in every output format", async () => {
    const created = await cli("pool", "create", "--id", "clipool", "--vm-size", "standard_d2s_v3", "--target-dedicated-nodes", "2", "--task-slots-per-node", "2",
      "--metadata", "team=render", "owner=cli", "--start-task-command-line", "/bin/sh -c 'echo started > $AZ_BATCH_NODE_SHARED_DIR/marker'", "--start-task-wait-for-success");
    ok(created);
    const pool = created.json();
    assert.equal(pool.id, "clipool");
    assert.equal(pool.virtualMachineConfiguration.nodeAgentSKUId, "batch.node.ubuntu 22.04", "the default image");
    assert.deepEqual(pool.metadata, [{ name: "team", value: "render" }, { name: "owner", value: "cli" }]);
    assert.equal(pool.startTask.waitForSuccess, true);

    const waited = await cli("pool", "wait", "--pool-id", "clipool", "--interval", "0.2");
    ok(waited);
    const nodes = waited.json();
    assert.equal(nodes.length, 2);
    assert.ok(nodes.every((node: { state: string }) => node.state === "idle"));

    const table = await cli("pool", "list", "--output", "table");
    ok(table);
    const [header, rule, row] = table.stdout.split("\n");
    assert.match(header ?? "", /^Pool Id\s+State\s+Allocation State\s+VM Size\s+Dedicated VM Count/);
    assert.match(rule ?? "", /^-+  -+/);
    assert.match(row ?? "", /^clipool\s+active\s+steady\s+standard_d2s_v3\s+2\s+0\s+IaaS$/);

    const tsv = await cli("pool", "list", "--query", "[].[id, currentDedicatedNodes, allocationState]", "-o", "tsv");
    ok(tsv);
    assert.equal(tsv.stdout, "clipool\t2\tsteady\n");
    const yaml = await cli("pool", "show", "clipool", "--select", "id,vmSize", "-o", "yaml");
    ok(yaml);
    assert.equal(yaml.stdout, "id: clipool\nvmSize: standard_d2s_v3\n");
    const queried = await cli("pool", "show", "--pool-id", "clipool", "--query", "metadata[?name=='team'].value | [0]");
    ok(queried);
    assert.equal(queried.json(), "render");
    const none = await cli("pool", "show", "clipool", "-o", "none");
    ok(none);
    assert.equal(none.stdout, "");
  });

  it("creates a pool from --json-file, updates, resets, resizes and autoscales it, then deletes it", async () => {
    const file = join(directory, "pool.json");
    writeFileSync(file, JSON.stringify({
      id: "jsonpool", vmSize: "standard_d2s_v3", targetDedicatedNodes: 0,
      virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
    }));
    const created = await cli("pool", "create", "--json-file", file, "--id", "ignored");
    ok(created);
    assert.equal(created.json().id, "jsonpool", "--json-file wins over the flags, as in az");

    const set = await cli("pool", "set", "jsonpool", "--metadata", "stage=one");
    ok(set);
    assert.deepEqual(set.json().metadata, [{ name: "stage", value: "one" }]);
    const updated = await cli("pool", "update", "jsonpool", "--start-task-command-line", "/bin/true");
    ok(updated);
    assert.deepEqual(updated.json().metadata, [{ name: "stage", value: "one" }], "set leaves what it is not given");
    assert.equal(updated.json().startTask.commandLine, "/bin/true");
    const reset = await cli("pool", "reset", "jsonpool", "--metadata", "stage=two");
    ok(reset);
    assert.deepEqual(reset.json().metadata, [{ name: "stage", value: "two" }]);
    assert.equal(reset.json().startTask, undefined, "reset clears what it is not given");

    ok(await cli("pool", "resize", "jsonpool", "--target-dedicated-nodes", "1", "--resize-timeout", "PT10M"));
    assert.equal((await cli("pool", "show", "jsonpool")).json().targetDedicatedNodes, 1);
    ok(await cli("pool", "stop-resize", "jsonpool"));
    ok(await cli("pool", "resize", "jsonpool", "--abort"));
    const shrink = await cli("pool", "resize", "jsonpool", "--target-dedicated-nodes", "0", "--node-deallocation-option", "terminate");
    await waitFor("the resize to be accepted", async () => {
      const again = shrink.code === 0 ? shrink : await cli("pool", "resize", "jsonpool", "--target-dedicated-nodes", "0");
      return again.code === 0;
    });

    const enabled = await cli("pool", "autoscale", "enable", "jsonpool", "--auto-scale-formula", "$TargetDedicatedNodes = 0;", "--auto-scale-evaluation-interval", "PT5M");
    ok(enabled);
    assert.equal(enabled.json().enableAutoScale, true);
    const evaluated = await cli("pool", "autoscale", "evaluate", "jsonpool", "--auto-scale-formula", "$TargetDedicatedNodes = 3;");
    ok(evaluated);
    assert.match(evaluated.json().results, /\$TargetDedicatedNodes=3/);
    ok(await cli("pool", "autoscale", "disable", "jsonpool"));
    assert.equal((await cli("pool", "show", "jsonpool", "--query", "enableAutoScale")).json(), false);

    const refused = await cli("pool", "delete", "jsonpool");
    assert.equal(refused.code, 2, show(refused));
    assert.match(refused.stderr, /no tty is available\. Use --yes/);
    ok(await cli("pool", "delete", "jsonpool", "--yes"));
    const gone = await cli("pool", "show", "jsonpool", "--query", "state");
    assert.ok(gone.code === 3 || gone.json() === "deleting", show(gone));
  });

  it("lists node counts, usage metrics and supported images", async () => {
    const counts = await cli("pool", "node-counts", "list");
    ok(counts);
    const clipool = counts.json().find((entry: { poolId: string }) => entry.poolId === "clipool");
    assert.equal(clipool.dedicated.idle, 2);
    const countTable = await cli("pool", "node-counts", "list", "-o", "table");
    assert.match(countTable.stdout, /^Pool Id\s+Dedicated Starting\s+Dedicated Idle/);
    const metrics = await cli("pool", "usage-metrics", "list", "--start-time", "2020-01-01T00:00:00Z");
    ok(metrics);
    assert.ok(Array.isArray(metrics.json()));
    const images = await cli("pool", "supported-images", "list", "--query", "[].nodeAgentSKUId");
    ok(images);
    assert.ok(images.json().includes("batch.node.ubuntu 22.04"));
    const imageTable = await cli("pool", "supported-images", "list", "-o", "table");
    assert.match(imageTable.stdout, /^OS Type\s+Node Agent Sku\s+Publisher\s+Offer\s+Sku/);
  });

  it("runs every node command: list, show, scheduling, users, remote login, files, service logs, reboot, reimage, delete", async () => {
    const listed = await cli("node", "list", "clipool", "--select", "id,state");
    ok(listed);
    const [first, second] = listed.json().map((node: { id: string }) => node.id) as [string, string];
    const nodeTable = await cli("node", "list", "--pool-id", "clipool", "-o", "table");
    assert.match(nodeTable.stdout, /^Node Id\s+State\s+Scheduling State/);
    assert.equal((await cli("node", "show", "clipool", first, "--query", "id")).json(), first);

    ok(await cli("node", "scheduling", "disable", "clipool", first, "--node-disable-scheduling-option", "taskcompletion"));
    assert.equal((await cli("node", "show", "clipool", first, "--query", "schedulingState")).json(), "disabled");
    ok(await cli("node", "scheduling", "enable", "--pool-id", "clipool", "--node-id", first));
    assert.equal((await cli("node", "show", "clipool", first, "--query", "schedulingState")).json(), "enabled");

    ok(await cli("node", "user", "create", "clipool", first, "--name", "cliuser", "--password", "Secret-123", "--is-admin"));
    ok(await cli("node", "user", "reset", "clipool", first, "cliuser", "--password", "Other-456"));
    ok(await cli("node", "user", "update", "clipool", first, "cliuser", "--ssh-public-key", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0 test"));
    ok(await cli("node", "user", "delete", "clipool", first, "cliuser", "--yes"));
    const noUser = await cli("node", "user", "delete", "clipool", first, "cliuser", "--yes");
    assert.notEqual(noUser.code, 0, "the user is gone");

    const login = await cli("node", "remote-login-settings", "show", "clipool", first);
    ok(login);
    assert.ok(typeof login.json().remoteLoginIPAddress === "string");

    const files = await cli("node", "file", "list", "clipool", first, "--recursive");
    ok(files);
    const names = files.json().map((file: { name: string }) => file.name);
    assert.ok(names.includes("shared/marker"), names.join(", "));
    const fileTable = await cli("node", "file", "list", "clipool", first, "--recursive", "-o", "table");
    assert.match(fileTable.stdout, /^Name\s+URL\s+Is Directory\s+Content Length/);
    const properties = await cli("node", "file", "show", "clipool", first, "--file-path", "shared/marker");
    ok(properties);
    assert.equal(properties.json().contentLength, 8);
    assert.equal(properties.json().isDirectory, false);
    const destination = join(directory, "marker.txt");
    ok(await cli("node", "file", "download", "clipool", first, "--file-path", "shared/marker", "--destination", destination));
    assert.equal(readFileSync(destination, "utf8"), "started\n");
    const ranged = await cli("node", "file", "download", "clipool", first, "--file-path", "shared/marker", "--destination", "-", "--start-range", "2", "--end-range", "4");
    ok(ranged);
    assert.equal(ranged.stdout, "art");
    ok(await cli("node", "file", "delete", "clipool", first, "--file-path", "shared/marker", "--yes"));
    assert.equal((await cli("node", "file", "show", "clipool", first, "--file-path", "shared/marker")).code, 3);

    await azurite.createContainer("cli-logs");
    const uploaded = await cli("node", "service-logs", "upload", "clipool", first, "--container-url", azurite.containerSasUrl("cli-logs", "racwl"), "--start-time", "2020-01-01T00:00:00Z");
    ok(uploaded);
    assert.ok(uploaded.json().numberOfFilesUploaded >= 1, uploaded.stdout);
    await waitFor("the uploaded service logs", async () => (await azurite.listBlobNames("cli-logs")).length > 0);

    ok(await cli("node", "reboot", "clipool", first, "--node-reboot-option", "terminate"));
    ok(await cli("node", "reimage", "clipool", second));
    ok(await cli("pool", "wait", "clipool", "--interval", "0.2", "-o", "none"));
    ok(await cli("node", "delete", "clipool", "--node-list", second, "--node-deallocation-option", "terminate"));
    await waitFor("the node to leave", async () => (await cli("node", "list", "clipool", "--query", "length(@)")).json() === 1);
    assert.equal((await cli("pool", "show", "clipool", "--query", "targetDedicatedNodes")).json(), 1);
  });

  it("fails with a clear message and the right exit code: unknown pool, bad JSON file, wrong key, missing or bad arguments", async () => {
    const unknown = await cli("pool", "show", "nosuchpool");
    assert.equal(unknown.code, 3, show(unknown));
    assert.match(unknown.stderr, /^ERROR: \(PoolNotFound\) The specified pool 'nosuchpool' does not exist\./m);
    const unknownNode = await cli("node", "list", "nosuchpool");
    assert.equal(unknownNode.code, 3);
    assert.match(unknownNode.stderr, /PoolNotFound/);

    const broken = join(directory, "broken.json");
    writeFileSync(broken, '{ "id": "x", ');
    const badJson = await cli("pool", "create", "--json-file", broken);
    assert.equal(badJson.code, 2, show(badJson));
    assert.match(badJson.stderr, /--json-file '.*broken\.json' is not valid JSON/);
    const missingFile = await cli("pool", "create", "--json-file", join(directory, "absent.json"));
    assert.equal(missingFile.code, 2);
    assert.match(missingFile.stderr, /cannot read --json-file '.*absent\.json': ENOENT/);
    const notObject = join(directory, "array.json");
    writeFileSync(notObject, "[1, 2]");
    const wrongShape = await cli("pool", "create", "--json-file", notObject);
    assert.equal(wrongShape.code, 2);
    assert.match(wrongShape.stderr, /must hold one JSON object, the request body of Pool - Add/);
    const invalidModel = join(directory, "invalid.json");
    writeFileSync(invalidModel, JSON.stringify({ id: "bad", vmSize: "standard_d2s_v3", targetDedicatedNodes: "two" }));
    const refusedModel = await cli("pool", "create", "--json-file", invalidModel);
    assert.equal(refusedModel.code, 1, show(refusedModel));
    assert.match(refusedModel.stderr, /\((InvalidPropertyValue|MissingRequiredProperty)\)/);

    const wrongKey = await cli("pool", "list", "--key", testAccounts.beta.key);
    assert.equal(wrongKey.code, 1, show(wrongKey));
    assert.match(wrongKey.stderr, /\(AuthenticationFailed\)/);
    assert.match(wrongKey.stderr, /the key from --key; check them with `openbatch config show`/);
    assert.ok(!wrongKey.stderr.includes(testAccounts.beta.key), "the key is not echoed");

    const missing = await cli("pool", "create", "--vm-size", "standard_d2s_v3");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /the following arguments are required: --id/);
    const noId = await cli("node", "show", "clipool");
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /required: --node-id/);
    const badNumber = await cli("pool", "resize", "clipool", "--target-dedicated-nodes", "many");
    assert.equal(badNumber.code, 2);
    assert.match(badNumber.stderr, /--target-dedicated-nodes .* must be a whole number/);
    const badChoice = await cli("node", "reboot", "clipool", "x", "--node-reboot-option", "later");
    assert.equal(badChoice.code, 2);
    assert.match(badChoice.stderr, /Allowed choices are requeue, terminate, taskcompletion, retaineddata/);
    const badQuery = await cli("pool", "list", "--query", "[?");
    assert.equal(badQuery.code, 2);
    assert.match(badQuery.stderr, /--query '\[\?' is not a valid JMESPath expression/);
    const badFormat = await cli("pool", "list", "-o", "xml");
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /'xml' is not an output format/);
    const unknownCommand = await cli("pool", "explode");
    assert.equal(unknownCommand.code, 2);
    assert.match(unknownCommand.stderr, /unknown command 'explode'/);
  });
});
