/**
 * Issue #14, second round of Azure compatibility, through the official Python SDK (azure-batch 13.0.1): what
 * Microsoft's own azure-batch tests do and the service answers in their recordings — pools without target counts
 * (item 1), the format validation of configuration OpenBatch stores (item 2), legacy PKCS#12 files and cancel
 * deletion of an active certificate (item 3), inbound NAT pools on nodes (item 4), which task ends count as failures
 * for onTaskFailure and reactivation in a completed job (item 5), and Spot evictions on their own (item 11).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { developmentSubscriptionId } from "@openbatch/server";
import { certificateFixture, certificateFixturePath, sha1Thumbprint } from "../support/certificateFixtures.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const run = promisify(execFile);

async function python(server: TestServer, name: string, args: string[] = []): Promise<any> {
  const account = testAccounts.alpha;
  const { stdout } = await run("/usr/bin/python3", [fileURLToPath(new URL(`../../conformance/python/${name}`, import.meta.url)), server.url, account.name, account.key, ...args], {
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  const result = JSON.parse(stdout.trim());
  assert.equal(result.ok, true, stdout);
  return result;
}

const invalid = (property: string) => ({ code: "InvalidPropertyValue", status: 400, property });

describe("Azure compatibility, second round, through the Python SDK", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.dispose());

  /** pool_configuration.py runs once for items 1 and 2. */
  let poolConfiguration: Promise<any> | undefined;
  const poolConfigurationResult = () => (poolConfiguration ??= python(server, "pool_configuration.py", ["--subscription", developmentSubscriptionId]));

  it("makes pools and auto pools without target counts, both targets 0, and reads configuration back with the service's defaults (item 1)", async () => {
    const result = await poolConfigurationResult();
    assert.deepEqual(result.noTargets, {
      dedicated: 0,
      lowPriority: 0,
      state: "active",
      dataDisk: { lun: 1, caching: "none", disk_size_gb: 50, storage_account_type: "standard_lrs" },
      imageVersion: "latest",
    });
    assert.deepEqual(result.encryptionTargets, ["temporarydisk"]);
    assert.equal(result.extension, "secretext");
    assert.deepEqual(result.autoPoolJob, { state: "active", schedulingError: null, targets: [0, 0] });
  });

  it("validates the configuration it stores as the service does: ARM ids, NAT pools, disks, extensions (item 2)", async () => {
    const result = await poolConfigurationResult();
    assert.deepEqual({ ...result.subnetOtherSubscription, reason: undefined }, { ...invalid("subnetId"), reason: undefined });
    assert.equal(
      result.subnetOtherSubscription.reason,
      `The specified subnetId is in a different subscription and cannot be used with the current Batch account in subscription ${developmentSubscriptionId}`,
    );
    assert.equal(result.subnetNotArm.property, "subnetId");
    assert.match(result.subnetNotArm.reason, /must be of the format \/subscriptions\/\{subscriptionId\}\/resourceGroups\/\{resourceGroupName\}\/providers\/Microsoft\.Network\/virtualNetworks/);
    assert.deepEqual(result.subnetAccepted, {
      subnetId: `/subscriptions/${developmentSubscriptionId}/resourceGroups/test/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/subnet1`,
      scope: "none",
    });
    // The recording's reason, word for word.
    assert.deepEqual(result.imageMalformed, {
      ...invalid("virtualMachineImageId"),
      reason:
        "The specified resource id must be of the format /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/images/{imageName}, " +
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}/versions/{galleryImageVersionName}, " +
        "or /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}",
    });
    assert.equal(result.imageOtherSubscription.property, "virtualMachineImageId");
    assert.match(result.imageOtherSubscription.reason, /different subscription/);
    assert.match(result.imageAccepted, new RegExp(`^/subscriptions/${developmentSubscriptionId}/`));
    assert.equal(result.publicIpNotArm.property, "ipAddressIds");

    assert.equal(result.osDiskEncryptionOnLinux.property, "targets");
    assert.equal(result.duplicateLun.property, "lun");
    assert.equal(result.provisionAfterUnknown.property, "provisionAfterExtensions");
    const nat = result.nat as Record<string, { code: string; status: number; property: string }>;
    const properties = Object.fromEntries(Object.entries(nat).map(([name, answer]) => [name, `${answer.status} ${answer.code} ${answer.property}`]));
    assert.deepEqual(properties, {
      reservedBackend: "400 InvalidPropertyValue backendPort",
      reservedFrontend: "400 InvalidPropertyValue frontendPortRangeStart",
      shortRange: "400 InvalidPropertyValue frontendPortRangeEnd",
      overlap: "400 InvalidPropertyValue frontendPortRangeStart",
      duplicateBackend: "400 InvalidPropertyValue backendPort",
      badName: "400 InvalidPropertyValue name",
      tooManyPools: "400 InvalidPropertyValue inboundNATPools",
      badPrefix: "400 InvalidPropertyValue sourceAddressPrefix",
      duplicatePriority: "400 InvalidPropertyValue priority",
    });
  });

  it("accepts a PKCS#12 file of older tooling and answers CertificateStateActive to cancelling an active certificate's deletion (item 3)", async () => {
    const thumbprint = sha1Thumbprint(certificateFixture("openbatch-legacy.cer"));
    const result = await python(server, "certificates_legacy.py", ["--pfx", certificateFixturePath("openbatch-legacy.pfx"), "--password", "openbatch-legacy", "--thumbprint", thumbprint]);
    assert.deepEqual(result.listed, [thumbprint.toLowerCase()]);
    assert.equal(result.thumbprint.toLowerCase(), thumbprint.toLowerCase());
    assert.equal(result.algorithm, "sha1");
    assert.equal(result.deleteError, null);
    assert.equal(result.hasPublicData, true);
    assert.deepEqual(result.cancelActive, { code: "CertificateStateActive", status: 409 });
    assert.equal(result.afterDelete, "CertificateNotFound");
  });

  it("lists each NAT pool rule and the default SSH rule on every node, with per-node frontend ports (item 4)", async () => {
    const result = await python(server, "inbound_endpoints.py");
    assert.deepEqual(result.readBack, [{ priority: 150, access: "allow", source_address_prefix: "*", source_port_ranges: ["*"] }]);
    assert.equal(result.nodes.length, 2);
    for (const [slot, node] of (result.nodes as { ip: string; endpoints: Record<string, unknown>[] }[]).entries()) {
      const host = { public_ip_address: node.ip };
      assert.deepEqual(
        node.endpoints.map(({ public_fqdn: fqdn, ...endpoint }) => {
          assert.equal(typeof fqdn, "string");
          return endpoint;
        }),
        [
          { name: `TestEndpointConfig.${slot}`, protocol: "udp", ...host, frontend_port: 60000 + slot, backend_port: 64444 },
          { name: `web.${slot}`, protocol: "tcp", ...host, frontend_port: 40000 + slot, backend_port: 8080 },
          { name: `SSHRule.${slot}`, protocol: "tcp", ...host, frontend_port: 50000 + slot, backend_port: 22 },
        ],
      );
    }
  });

  it("keeps a job active when a task that never ran is terminated, ends it when a run fails, and refuses reactivation in a completed job (item 5)", async () => {
    const result = await python(server, "task_failures.py");
    assert.deepEqual(result.terminated, { task: "completed", failure: "TaskEnded", job: "active" });
    assert.equal(result.reactivated, "active");
    assert.deepEqual(result.collection, { count: 733, succeeded: 733 });
    assert.equal(result.jobTerminated, "completed");
    assert.deepEqual(result.reactivateInCompletedJob, { code: "JobCompleted", status: 409 });
    assert.deepEqual(result.failedRun, { job: "completed", reason: "TaskFailed", exitCode: 3 });
  });
});

describe("Spot evictions on their own, through the Python SDK (item 11)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ spotEvictionRatePerHour: 1200, spotRecoveryInSeconds: 2 });
  });
  after(() => server.dispose());

  it("preempts Spot nodes at random and brings them back with the same id; dedicated nodes are never preempted", async () => {
    const result = await python(server, "spot_evictions.py");
    assert.equal(result.spot.ids.length, 1, "the Spot node keeps its id through preemption");
    assert.ok(result.spot.states.includes("preempted"), `the Spot node was preempted: ${result.spot.states.join(" → ")}`);
    assert.ok(["idle", "running"].includes(result.spot.states.at(-1)), `and came back: ${result.spot.states.join(" → ")}`);
    assert.ok(!result.dedicated.states.includes("preempted"), `the dedicated node never was: ${result.dedicated.states.join(" → ")}`);
    assert.ok(result.dedicated.states.includes("idle"));
  });
});
