/// <reference types="node" />
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Value } from "@sinclair/typebox/value";
import { type TSchema } from "../src/schema.js";
import * as enums from "../src/enums.js";
import {
  CloudPool,
  ComputeNode,
  NodeCounts,
  PoolAddParameter,
  TaskAddCollectionParameter,
  TaskAddParameter,
  VirtualMachineConfiguration,
  wireModels,
  type PoolAddParameter as PoolAddParameterBody,
  type TaskAddParameter as TaskAddParameterBody,
} from "../src/models/index.js";
import { operations, type OperationSpec } from "../src/operations.js";

const models: Record<string, TSchema> = wireModels;

function pool(): PoolAddParameterBody {
  return {
    id: "ubuntu-pool",
    displayName: "Ubuntu 22.04 pool",
    vmSize: "Standard_D2s_v3",
    virtualMachineConfiguration: {
      imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts", version: "latest" },
      nodeAgentSKUId: "batch.node.ubuntu 22.04",
      dataDisks: [{ lun: 0, caching: "readwrite", diskSizeGB: 128, storageAccountType: "premium_lrs" }],
      containerConfiguration: {
        type: "dockerCompatible",
        containerImageNames: ["ubuntu:22.04"],
        containerRegistries: [{ registryServer: "myacr.azurecr.io", identityReference: { resourceId: "/sub/id" } }],
      },
      nodePlacementConfiguration: { policy: "zonal" },
      extensions: [
        {
          name: "health",
          publisher: "Microsoft.ManagedServices",
          type: "ApplicationHealthLinux",
          typeHandlerVersion: "1.0",
          autoUpgradeMinorVersion: true,
          enableAutomaticUpgrade: false,
          settings: { protocol: "http", port: 80, requestPath: "/" },
        },
      ],
      osDisk: {
        caching: "readwrite",
        managedDisk: { storageAccountType: "standardssd_lrs" },
        diskSizeGB: 64,
        writeAcceleratorEnabled: false,
      },
      securityProfile: {
        securityType: "trustedLaunch",
        encryptionAtHost: true,
        uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
      },
    },
    resizeTimeout: "PT15M",
    targetDedicatedNodes: 2,
    targetLowPriorityNodes: 0,
    enableAutoScale: false,
    enableInterNodeCommunication: false,
    networkConfiguration: {
      subnetId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default",
      endpointConfiguration: {
        inboundNATPools: [
          {
            name: "ssh",
            protocol: "tcp",
            backendPort: 2222,
            frontendPortRangeStart: 15000,
            frontendPortRangeEnd: 15100,
            networkSecurityGroupRules: [{ priority: 150, access: "allow", sourceAddressPrefix: "*" }],
          },
        ],
      },
      publicIPAddressConfiguration: { provision: "batchmanaged" },
      enableAcceleratedNetworking: true,
    },
    startTask: {
      commandLine: "/bin/bash -c 'apt-get update && apt-get install -y jq'",
      resourceFiles: [{ httpUrl: "https://example.com/setup.sh", filePath: "setup.sh", fileMode: "0755" }],
      environmentSettings: [{ name: "DEBIAN_FRONTEND", value: "noninteractive" }],
      userIdentity: { autoUser: { scope: "pool", elevationLevel: "admin" } },
      maxTaskRetryCount: 2,
      waitForSuccess: true,
    },
    certificateReferences: [],
    applicationPackageReferences: [{ applicationId: "tools", version: "1.0" }],
    taskSlotsPerNode: 4,
    taskSchedulingPolicy: { nodeFillType: "pack" },
    userAccounts: [
      { name: "batchuser", password: "P@ssw0rd!", elevationLevel: "nonadmin", linuxUserConfiguration: { uid: 1001, gid: 1001 } },
    ],
    metadata: [{ name: "owner", value: "team-a" }],
    mountConfiguration: [
      { nfsMountConfiguration: { source: "10.0.0.4:/exports/data", relativeMountPath: "data", mountOptions: "-o ro" } },
    ],
    targetNodeCommunicationMode: "simplified",
    upgradePolicy: {
      mode: "rolling",
      automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true, osRollingUpgradeDeferral: true },
      rollingUpgradePolicy: {
        maxBatchInstancePercent: 20,
        maxUnhealthyInstancePercent: 20,
        maxUnhealthyUpgradedInstancePercent: 20,
        pauseTimeBetweenBatches: "PT0S",
        prioritizeUnhealthyInstances: false,
        rollbackFailedInstancesOnPolicyBreach: false,
      },
    },
    resourceTags: { costCenter: "42", env: "test" },
  };
}

function task(): TaskAddParameterBody {
  return {
    id: "task-001",
    displayName: "render frame 1",
    commandLine: "/bin/sh -c 'render --frame 1'",
    containerSettings: { imageName: "myacr.azurecr.io/render:2", workingDirectory: "taskWorkingDirectory" },
    exitConditions: {
      exitCodes: [{ code: 3, exitOptions: { jobAction: "terminate", dependencyAction: "block" } }],
      exitCodeRanges: [{ start: 10, end: 20, exitOptions: { jobAction: "none" } }],
      default: { jobAction: "none", dependencyAction: "satisfy" },
    },
    resourceFiles: [{ storageContainerUrl: "https://acct.blob.core.windows.net/scenes?sv=x", blobPrefix: "scene1/" }],
    outputFiles: [
      {
        filePattern: "out/*.png",
        destination: { container: { containerUrl: "https://acct.blob.core.windows.net/out?sv=x", path: "frames" } },
        uploadOptions: { uploadCondition: "tasksuccess" },
      },
    ],
    environmentSettings: [{ name: "FRAME", value: "1" }],
    constraints: { maxWallClockTime: "PT1H", retentionTime: "P7D", maxTaskRetryCount: 3 },
    requiredSlots: 1,
    userIdentity: { autoUser: { scope: "task", elevationLevel: "nonadmin" } },
    dependsOn: { taskIds: ["setup"], taskIdRanges: [{ start: 1, end: 9 }] },
    applicationPackageReferences: [{ applicationId: "blender" }],
    authenticationTokenSettings: { access: ["job"] },
  };
}

function errorsOf(schema: TSchema, value: unknown): string[] {
  return [...Value.Errors(schema, value)].map((error) => `${error.path}: ${error.message}`);
}

describe("wireModels registry", () => {
  it("has every request and response body named by the operation table", () => {
    const names = new Set<string>();
    for (const operation of operations) {
      const spec: OperationSpec = operation;
      if (spec.requestBody !== undefined) names.add(spec.requestBody);
      if (spec.responseBody !== undefined && spec.responseBody !== "raw") names.add(spec.responseBody);
    }
    assert.ok(names.size > 30);
    const missing = [...names].filter((name) => models[name] === undefined);
    assert.deepEqual(missing, []);
  });

  it("holds every model under its own $id and nothing else", () => {
    for (const [name, schema] of Object.entries(models)) {
      assert.equal(schema.$id, name);
      assert.equal(schema.type, "object");
      assert.equal(schema.additionalProperties, false, name);
    }
    assert.ok(Object.keys(models).length >= 150);
  });
});

describe("request models", () => {
  it("accept a realistic PoolAddParameter", () => {
    assert.deepEqual(errorsOf(PoolAddParameter, pool()), []);
  });

  it("accept a realistic TaskAddParameter and a collection of them", () => {
    assert.deepEqual(errorsOf(TaskAddParameter, task()), []);
    assert.ok(Value.Check(TaskAddCollectionParameter, { value: [task(), { id: "t2", commandLine: "echo hi" }] }));
  });

  it("reject a PoolAddParameter without vmSize", () => {
    const body: Partial<PoolAddParameterBody> = pool();
    delete body.vmSize;
    assert.equal(Value.Check(PoolAddParameter, body), false);
  });

  it("reject unknown properties, at the top and nested", () => {
    assert.equal(Value.Check(PoolAddParameter, { ...pool(), vmsize: "x" }), false);
    const nested = pool();
    nested.startTask = { commandLine: "echo", bogus: true } as unknown as typeof nested.startTask;
    assert.equal(Value.Check(PoolAddParameter, nested), false);
  });

  it("accept enum values in any casing and reject unknown ones", () => {
    assert.ok(Value.Check(PoolAddParameter, { ...pool(), taskSchedulingPolicy: { nodeFillType: "Spread" } }));
    assert.ok(Value.Check(PoolAddParameter, { ...pool(), targetNodeCommunicationMode: "SIMPLIFIED" }));
    assert.equal(Value.Check(PoolAddParameter, { ...pool(), taskSchedulingPolicy: { nodeFillType: "fill" } }), false);
  });

  it("check wire types: int32, durations, date-times", () => {
    assert.equal(Value.Check(PoolAddParameter, { ...pool(), targetDedicatedNodes: 1.5 }), false);
    assert.equal(Value.Check(PoolAddParameter, { ...pool(), resizeTimeout: "00:15:00" }), false);
    assert.equal(Value.Check(TaskAddParameter, { ...task(), constraints: { maxWallClockTime: 60 } }), false);
  });

  it("leave the 100-task limit of add-collection to the service (413, not a schema error)", () => {
    const value = Array.from({ length: 101 }, (_, index) => ({ id: `t${index}`, commandLine: "echo" }));
    assert.ok(Value.Check(TaskAddCollectionParameter, { value }));
  });
});

describe("wire keys and response models", () => {
  it("use the irregular wire casing", () => {
    assert.ok("nodeAgentSKUId" in VirtualMachineConfiguration.properties);
    assert.ok(VirtualMachineConfiguration.required?.includes("nodeAgentSKUId"));
    assert.ok("upgradingOS" in NodeCounts.properties);
    assert.ok("waitingForStartTask" in NodeCounts.properties);
    assert.ok("inboundNATPools" in models.PoolEndpointConfiguration!.properties);
    assert.ok("publicIPAddress" in models.InboundEndpoint!.properties);
    assert.ok("userCPUTime" in models.JobStatistics!.properties);
    assert.ok("scaleSetVmResourceId" in models.VirtualMachineInfo!.properties);
  });

  it("make response models all-optional (partial $select output)", () => {
    assert.ok(Value.Check(CloudPool, {}));
    assert.ok(Value.Check(CloudPool, { id: "p", state: "active", allocationState: "steady", currentDedicatedNodes: 2 }));
    assert.ok(Value.Check(CloudPool, { ...pool(), url: "https://x/pools/ubuntu-pool", eTag: "0x1" }));
    assert.ok(Value.Check(ComputeNode, { id: "n1", state: "upgradingos", schedulingState: "enabled" }));
    assert.equal(CloudPool.required, undefined);
  });
});

describe("enums", () => {
  it("carry the exact wire spellings", () => {
    assert.deepEqual(enums.ContainerTypeValues, ["dockerCompatible", "criCompatible"]);
    assert.deepEqual(enums.StatusLevelTypesValues, ["Error", "Info", "Warning"]);
    assert.deepEqual(enums.StorageAccountTypeValues, ["standard_lrs", "premium_lrs", "standardssd_lrs"]);
    assert.ok(enums.ComputeNodeStateValues.includes("upgradingos"));
    assert.deepEqual(enums.ComputeNodeRebootOptionValues, enums.ComputeNodeDeallocationOptionValues);
    assert.deepEqual(enums.StartTaskStateValues, ["running", "completed"]);
    // From api-version 2024-07-01.20.0, accepted ahead of it (containerHostBatchBindMounts).
    assert.deepEqual(enums.ContainerHostDataPathValues, ["Shared", "Startup", "VfsMounts", "Task", "JobPrep", "Applications"]);
  });

  it("list each enum once with distinct values", () => {
    assert.equal(Object.keys(enums.wireEnums).length, 53);
    for (const [name, schema] of Object.entries(enums.wireEnums)) {
      const values = schema.enum as readonly string[];
      assert.equal(new Set(values.map((value) => value.toLowerCase())).size, values.length, name);
    }
  });
});
