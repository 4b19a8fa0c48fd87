/**
 * `openbatch pool …`, named as `az batch pool …` is: create, list, show, set (update), reset, delete, resize (and
 * stop-resize), autoscale enable|disable|evaluate, node-counts list, usage-metrics list, supported-images list.
 * `pool wait` is in watch.ts.
 */
import { Command, Option } from "commander";
import {
  ComputeNodeDeallocationOptionValues,
  NodeCommunicationModeValues,
  toArray,
  type PoolAddParameter,
  type PoolPatchParameter,
  type PoolUpdatePropertiesParameter,
} from "@openbatch/client";
import { flags, jsonFileBody, requestBody, requireOptions } from "../framework/body.js";
import { UsageError } from "../framework/errors.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import {
  applicationPackageReferences,
  certificateReferences,
  compact,
  duration,
  imageReference,
  nameValues,
  resourceFiles,
  section,
  strings,
  wholeNumber,
} from "../framework/parse.js";
import { nodeCountRows, poolRows, supportedImageRows, usageMetricRows } from "./tables.js";

/** The image a pool gets when the command names none: the one every local node runs. */
export const defaultImage = { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" } as const;
export const defaultNodeAgentSku = "batch.node.ubuntu 22.04";

interface StartTaskFlags {
  startTaskCommandLine?: string;
  startTaskResourceFiles?: { filePath: string; httpUrl: string }[];
  startTaskEnvironmentSettings?: { name: string; value: string }[];
  startTaskWaitForSuccess?: boolean;
  startTaskMaxTaskRetryCount?: number;
}

function startTaskOptions(command: Command, withResourceFiles = true): void {
  command
    .option("--start-task-command-line <command>", "the start task's command line (not run under a shell: use /bin/sh -c '…')")
    .option("--start-task-environment-settings <name=value...>", "the start task's environment variables", nameValues)
    .option("--start-task-max-task-retry-count <n>", "retries of the start task", wholeNumber)
    .option("--start-task-wait-for-success", "nodes wait for the start task to succeed before running tasks");
  if (withResourceFiles) command.option("--start-task-resource-files <filename=httpurl...>", "files downloaded before the start task runs", resourceFiles);
}

function startTaskOf(options: StartTaskFlags) {
  if (options.startTaskCommandLine === undefined) return undefined;
  return compact({
    commandLine: options.startTaskCommandLine,
    resourceFiles: options.startTaskResourceFiles,
    environmentSettings: options.startTaskEnvironmentSettings,
    maxTaskRetryCount: options.startTaskMaxTaskRetryCount,
    waitForSuccess: options.startTaskWaitForSuccess,
  }) as PoolAddParameter["startTask"];
}

interface CreateFlags extends StartTaskFlags {
  id?: string;
  vmSize?: string;
  targetDedicatedNodes?: number;
  targetLowPriorityNodes?: number;
  taskSlotsPerNode?: number;
  autoScaleFormula?: string;
  autoScaleEvaluationInterval?: string;
  enableInterNodeCommunication?: boolean;
  resizeTimeout?: string;
  metadata?: { name: string; value: string }[];
  image?: { publisher: string; offer: string; sku: string; version?: string };
  nodeAgentSkuId?: string;
  applicationPackageReferences?: { applicationId: string; version?: string }[];
  certificateReferences?: { thumbprint: string; thumbprintAlgorithm: string }[];
  applicationLicenses?: string[];
  targetCommunication?: string;
}

/** The node agent SKU of an image the service lists, for `--image` without `--node-agent-sku-id`. */
async function nodeAgentSkuOf(invocation: Invocation, image: NonNullable<CreateFlags["image"]>): Promise<string> {
  for await (const supported of invocation.client().account.listSupportedImages()) {
    const reference = supported.imageReference;
    if (reference?.publisher?.toLowerCase() === image.publisher.toLowerCase() && reference.offer?.toLowerCase() === image.offer.toLowerCase() && reference.sku?.toLowerCase() === image.sku.toLowerCase()) {
      if (supported.nodeAgentSKUId !== undefined) return supported.nodeAgentSKUId;
    }
  }
  throw new UsageError(`the image ${image.publisher}:${image.offer}:${image.sku} is not among the supported images (\`openbatch pool supported-images list\`); give --node-agent-sku-id.`);
}

async function createBody(invocation: Invocation): Promise<PoolAddParameter> {
  const options = flags<CreateFlags>(invocation);
  const fromFile = jsonFileBody<PoolAddParameter>(invocation, "Pool - Add");
  if (fromFile !== undefined) return fromFile;
  requireOptions(invocation, "id", "vmSize");
  const image = options.image ?? defaultImage;
  const nodeAgentSKUId = options.nodeAgentSkuId ?? (options.image === undefined ? defaultNodeAgentSku : await nodeAgentSkuOf(invocation, image));
  const autoScale = options.autoScaleFormula !== undefined;
  return compact({
    id: options.id as string,
    vmSize: options.vmSize as string,
    virtualMachineConfiguration: { imageReference: image, nodeAgentSKUId },
    resizeTimeout: options.resizeTimeout,
    targetDedicatedNodes: options.targetDedicatedNodes,
    targetLowPriorityNodes: options.targetLowPriorityNodes,
    enableAutoScale: autoScale ? true : undefined,
    autoScaleFormula: options.autoScaleFormula,
    autoScaleEvaluationInterval: options.autoScaleEvaluationInterval,
    enableInterNodeCommunication: options.enableInterNodeCommunication,
    startTask: startTaskOf(options),
    certificateReferences: options.certificateReferences,
    applicationPackageReferences: options.applicationPackageReferences,
    applicationLicenses: options.applicationLicenses,
    taskSlotsPerNode: options.taskSlotsPerNode,
    metadata: options.metadata,
    targetNodeCommunicationMode: options.targetCommunication,
  }) as PoolAddParameter;
}

function updateFlags(command: Command, withResourceFiles: boolean): void {
  command
    .option("--application-package-references <id[#version]...>", "application packages deployed to every node", applicationPackageReferences)
    .option("--certificate-references <thumbprint...>", "certificates installed on every node (sha1 thumbprints)", certificateReferences)
    .option("--metadata <name=value...>", "metadata of the pool", nameValues);
  startTaskOptions(command, withResourceFiles);
}

export function poolCommand(): Command {
  const pool = new Command("pool").description("Manage Batch pools.");

  leaf(pool, "create", "Create a Batch pool in an account (flags for the common fields, --json-file for the whole model).")
    .jsonFile("the pool")
    .options((command) => {
      command
        .option("--id <id>", "the pool's id (required without --json-file)")
        .option("--vm-size <size>", "the virtual machine size, e.g. standard_d2s_v3 (required without --json-file)")
        .option("--target-dedicated-nodes <n>", "how many dedicated nodes the pool should have", wholeNumber)
        .option("--target-low-priority-nodes <n>", "how many Spot/low-priority nodes the pool should have", wholeNumber)
        .option("--task-slots-per-node <n>", "tasks that may run at once on one node (default 1)", wholeNumber)
        .option("--auto-scale-formula <formula>", "scale the pool with this formula instead of fixed targets")
        .option("--auto-scale-evaluation-interval <duration>", "how often the formula runs (ISO-8601, default PT15M)", duration)
        .option("--enable-inter-node-communication", "let nodes talk to each other (multi-instance tasks)")
        .option("--resize-timeout <duration>", "how long an allocation may take (ISO-8601, default PT15M)", duration)
        .option("--metadata <name=value...>", "metadata of the pool", nameValues)
        .option("--image <publisher:offer:sku[:version]>", `the OS image (default ${defaultImage.publisher}:${defaultImage.offer}:${defaultImage.sku})`, imageReference)
        .option("--node-agent-sku-id <sku>", "the node agent SKU (default: the image's, from the supported images)")
        .option("--application-package-references <id[#version]...>", "application packages deployed to every node", applicationPackageReferences)
        .option("--certificate-references <thumbprint...>", "certificates installed on every node (sha1 thumbprints)", certificateReferences)
        .option("--application-licenses <license...>", "application licenses", strings)
        .addOption(new Option("--target-communication <mode>", "the node communication mode").choices(NodeCommunicationModeValues));
      startTaskOptions(command);
    })
    .table(poolRows)
    .action(async (invocation) => {
      const body = await createBody(invocation);
      await invocation.client().pool.add(body);
      return invocation.client().pool.get(body.id);
    });

  leaf(pool, "list", "List the pools in the account.")
    .listQuery("filter", "select", "expand")
    .table(poolRows)
    .action((invocation) => toArray(invocation.client().pool.list(invocation.listOptions())));

  leaf(pool, "show", "Get information about the specified pool.")
    .ids("pool-id")
    .listQuery("select", "expand")
    .conditions()
    .action((invocation) => {
      const { select, expand } = invocation.listOptions();
      return invocation.client().pool.get(invocation.ids["poolId"] as string, compact({ select, expand, ...invocation.conditions() }));
    });

  leaf(pool, "set", "Update the properties of a pool; what is not given is left as it is (PATCH).")
    .alias("update")
    .ids("pool-id")
    .jsonFile("the update")
    .options((command) => {
      updateFlags(command, true);
      command.addOption(new Option("--target-communication <mode>", "the node communication mode").choices(NodeCommunicationModeValues));
    })
    .conditions()
    .action(async (invocation) => {
      const options = flags<CreateFlags>(invocation);
      const body = requestBody<PoolPatchParameter>(invocation, "Pool - Patch", () => {
        const patch = section({
          startTask: startTaskOf(options),
          certificateReferences: options.certificateReferences,
          applicationPackageReferences: options.applicationPackageReferences,
          metadata: options.metadata,
          targetNodeCommunicationMode: options.targetCommunication,
        });
        if (patch === undefined) throw new UsageError("nothing to update: give a flag such as --metadata or --start-task-command-line, or --json-file.");
        return patch as PoolPatchParameter;
      });
      const poolId = invocation.ids["poolId"] as string;
      await invocation.client().pool.patch(poolId, body, invocation.conditions());
      return invocation.client().pool.get(poolId);
    });

  leaf(pool, "reset", "Replace the updatable properties of a pool; what is not given is reset to its default.")
    .ids("pool-id")
    .jsonFile("the new properties")
    .options((command) => updateFlags(command, false))
    .action(async (invocation) => {
      const options = flags<CreateFlags>(invocation);
      const body = requestBody<PoolUpdatePropertiesParameter>(invocation, "Pool - Update Properties", () => ({
        certificateReferences: options.certificateReferences ?? [],
        applicationPackageReferences: options.applicationPackageReferences ?? [],
        metadata: options.metadata ?? [],
        ...compact({ startTask: startTaskOf(options) }),
      }));
      const poolId = invocation.ids["poolId"] as string;
      await invocation.client().pool.updateProperties(poolId, body);
      return invocation.client().pool.get(poolId);
    });

  leaf(pool, "delete", "Delete a pool and its nodes.")
    .ids("pool-id")
    .confirm((ids) => `The pool '${ids["poolId"]}' and its nodes will be deleted.`)
    .conditions()
    .action(async (invocation) => {
      await invocation.client().pool.delete(invocation.ids["poolId"] as string, invocation.conditions());
      return undefined;
    });

  leaf(pool, "resize", "Resize a pool, or stop its resize with --abort.")
    .ids("pool-id")
    .options((command) =>
      command
        .option("--target-dedicated-nodes <n>", "the dedicated node target", wholeNumber)
        .option("--target-low-priority-nodes <n>", "the Spot/low-priority node target", wholeNumber)
        .option("--resize-timeout <duration>", "how long the resize may take (ISO-8601)", duration)
        .addOption(new Option("--node-deallocation-option <option>", "what happens to the tasks of nodes that leave").choices(ComputeNodeDeallocationOptionValues))
        .option("--abort", "stop the resize in progress"),
    )
    .conditions()
    .action(async (invocation) => {
      const options = flags<CreateFlags & { abort?: boolean; nodeDeallocationOption?: string }>(invocation);
      const poolId = invocation.ids["poolId"] as string;
      if (options.abort === true) {
        await invocation.client().pool.stopResize(poolId, invocation.conditions());
        return undefined;
      }
      if (options.targetDedicatedNodes === undefined && options.targetLowPriorityNodes === undefined) {
        throw new UsageError("give --target-dedicated-nodes and/or --target-low-priority-nodes (or --abort).");
      }
      await invocation.client().pool.resize(
        poolId,
        compact({
          targetDedicatedNodes: options.targetDedicatedNodes,
          targetLowPriorityNodes: options.targetLowPriorityNodes,
          resizeTimeout: options.resizeTimeout,
          nodeDeallocationOption: options.nodeDeallocationOption,
        }),
        invocation.conditions(),
      );
      return undefined;
    });

  leaf(pool, "stop-resize", "Stop the resize in progress (the same as `pool resize --abort`).")
    .ids("pool-id")
    .conditions()
    .action(async (invocation) => {
      await invocation.client().pool.stopResize(invocation.ids["poolId"] as string, invocation.conditions());
      return undefined;
    });

  const autoscale = pool.command("autoscale").description("Manage automatic scaling of pools.");
  leaf(autoscale, "enable", "Enable automatic scaling with a formula.")
    .ids("pool-id")
    .options((command) =>
      command
        .option("--auto-scale-formula <formula>", "the formula (e.g. '$TargetDedicatedNodes = 2;')")
        .option("--auto-scale-evaluation-interval <duration>", "how often it runs (ISO-8601, default PT15M)", duration),
    )
    .conditions()
    .action(async (invocation) => {
      const options = flags<CreateFlags>(invocation);
      const poolId = invocation.ids["poolId"] as string;
      await invocation.client().pool.enableAutoScale(
        poolId,
        compact({ autoScaleFormula: options.autoScaleFormula, autoScaleEvaluationInterval: options.autoScaleEvaluationInterval }),
        invocation.conditions(),
      );
      return invocation.client().pool.get(poolId, { select: ["id", "enableAutoScale", "autoScaleFormula", "autoScaleEvaluationInterval", "autoScaleRun"] });
    });
  leaf(autoscale, "disable", "Disable automatic scaling (the pool keeps its current targets).")
    .ids("pool-id")
    .action(async (invocation) => {
      await invocation.client().pool.disableAutoScale(invocation.ids["poolId"] as string);
      return undefined;
    });
  leaf(autoscale, "evaluate", "Evaluate a formula against the pool without applying it.")
    .ids("pool-id")
    .options((command) => command.option("--auto-scale-formula <formula>", "the formula to evaluate"))
    .action((invocation) => {
      requireOptions(invocation, "autoScaleFormula");
      return invocation.client().pool.evaluateAutoScale(invocation.ids["poolId"] as string, flags<CreateFlags>(invocation).autoScaleFormula as string);
    });

  const nodeCounts = pool.command("node-counts").description("Get node counts for pools.");
  leaf(nodeCounts, "list", "Count the nodes of each pool by state.")
    .listQuery("filter")
    .table(nodeCountRows)
    .action((invocation) => {
      const { filter } = invocation.listOptions();
      return toArray(invocation.client().account.listPoolNodeCounts(compact({ filter })));
    });

  const usageMetrics = pool.command("usage-metrics").description("View usage metrics of pools.");
  leaf(usageMetrics, "list", "List usage metrics, aggregated by pool across time intervals.")
    .listQuery("filter")
    .options((command) =>
      command.option("--start-time <time>", "the earliest interval start (ISO-8601)").option("--end-time <time>", "the latest interval end (ISO-8601)"),
    )
    .table(usageMetricRows)
    .action((invocation) => {
      const options = flags<{ startTime?: string; endTime?: string }>(invocation);
      const { filter } = invocation.listOptions();
      return toArray(invocation.client().pool.listUsageMetrics(compact({ filter, startTime: options.startTime, endTime: options.endTime })));
    });

  const images = pool.command("supported-images").description("Query the VM images the service supports.");
  leaf(images, "list", "List the images and node agent SKUs pools can use.")
    .listQuery("filter")
    .table(supportedImageRows)
    .action((invocation) => {
      const { filter } = invocation.listOptions();
      return toArray(invocation.client().account.listSupportedImages(compact({ filter })));
    });

  return pool;
}
