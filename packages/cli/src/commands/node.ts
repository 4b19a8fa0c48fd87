/**
 * `openbatch node …`, named as `az batch node …` is: list, show, reboot, reimage, delete (remove from the pool),
 * scheduling enable|disable, user create|reset (update)|delete, remote-login-settings show, service-logs upload,
 * file list|show|download|delete.
 */
import { Command, Option } from "commander";
import {
  ComputeNodeDeallocationOptionValues,
  ComputeNodeRebootOptionValues,
  ComputeNodeReimageOptionValues,
  DisableComputeNodeSchedulingOptionValues,
  toArray,
  type ComputeNodeUser,
  type NodeRemoveParameter,
  type NodeUpdateUserParameter,
  type UploadBatchServiceLogsConfiguration,
} from "@openbatch/client";
import { flags, requestBody, requireOptions } from "../framework/body.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { compact, dateTime, duration } from "../framework/parse.js";
import { addFileCommands } from "./files.js";
import { nodeRows } from "./tables.js";

const pool = (invocation: Invocation) => invocation.ids["poolId"] as string;
const node = (invocation: Invocation) => invocation.ids["nodeId"] as string;

interface NodeFlags {
  nodeRebootOption?: string;
  nodeReimageOption?: string;
  nodeDisableSchedulingOption?: string;
  nodeList?: string[];
  nodeDeallocationOption?: string;
  resizeTimeout?: string;
  name?: string;
  userName?: string;
  password?: string;
  sshPublicKey?: string;
  isAdmin?: boolean;
  expiryTime?: string;
  containerUrl?: string;
  startTime?: string;
  endTime?: string;
  resourceId?: string;
}

function userFlags(command: Command): Command {
  return command
    .option("--password <password>", "the user's password")
    .option("--ssh-public-key <key>", "the user's SSH public key (OpenSSH format)")
    .option("--expiry-time <time>", "when the account expires (ISO-8601; default 1 day from now)", dateTime);
}

export function nodeCommand(): Command {
  const nodes = new Command("node").description("Manage Batch compute nodes.");

  leaf(nodes, "list", "List the nodes of a pool.")
    .ids("pool-id")
    .listQuery("filter", "select")
    .table(nodeRows)
    .action((invocation) => {
      const { filter, select } = invocation.listOptions();
      return toArray(invocation.client().computeNode.list(pool(invocation), compact({ filter, select })));
    });

  leaf(nodes, "show", "Get information about a node.")
    .ids("pool-id", "node-id")
    .listQuery("select")
    .action((invocation) => {
      const { select } = invocation.listOptions();
      return invocation.client().computeNode.get(pool(invocation), node(invocation), compact({ select }));
    });

  leaf(nodes, "reboot", "Restart a node (its processes end; running tasks are handled per --node-reboot-option).")
    .ids("pool-id", "node-id")
    .options((command) => command.addOption(new Option("--node-reboot-option <option>", "what happens to running tasks (default requeue)").choices(ComputeNodeRebootOptionValues)))
    .action(async (invocation) => {
      const option = flags<NodeFlags>(invocation).nodeRebootOption;
      await invocation.client().computeNode.reboot(pool(invocation), node(invocation), compact({ nodeRebootOption: option }));
      return undefined;
    });

  leaf(nodes, "reimage", "Reinstall a node (its directories start empty).")
    .ids("pool-id", "node-id")
    .options((command) => command.addOption(new Option("--node-reimage-option <option>", "what happens to running tasks (default requeue)").choices(ComputeNodeReimageOptionValues)))
    .action(async (invocation) => {
      const option = flags<NodeFlags>(invocation).nodeReimageOption;
      await invocation.client().computeNode.reimage(pool(invocation), node(invocation), compact({ nodeReimageOption: option }));
      return undefined;
    });

  leaf(nodes, "delete", "Remove nodes from a pool (the pool's target shrinks with them).")
    .ids("pool-id")
    .jsonFile("the nodes to remove")
    .options((command) =>
      command
        .option("--node-list <node-id...>", "the nodes to remove")
        .addOption(new Option("--node-deallocation-option <option>", "what happens to their running tasks").choices(ComputeNodeDeallocationOptionValues))
        .option("--resize-timeout <duration>", "how long the removal may take (ISO-8601)", duration),
    )
    .conditions()
    .action(async (invocation) => {
      const options = flags<NodeFlags>(invocation);
      const body = requestBody<NodeRemoveParameter>(invocation, "Pool - Remove Nodes", () => {
        requireOptions(invocation, "nodeList");
        return compact({ nodeList: options.nodeList, nodeDeallocationOption: options.nodeDeallocationOption, resizeTimeout: options.resizeTimeout }) as NodeRemoveParameter;
      });
      await invocation.client().pool.removeNodes(pool(invocation), body, invocation.conditions());
      return undefined;
    });

  const scheduling = nodes.command("scheduling").description("Manage task scheduling on a node.");
  leaf(scheduling, "enable", "Let the node run tasks again.")
    .ids("pool-id", "node-id")
    .action(async (invocation) => {
      await invocation.client().computeNode.enableScheduling(pool(invocation), node(invocation));
      return undefined;
    });
  leaf(scheduling, "disable", "Stop scheduling tasks to the node.")
    .ids("pool-id", "node-id")
    .options((command) =>
      command.addOption(new Option("--node-disable-scheduling-option <option>", "what happens to its running tasks (default requeue)").choices(DisableComputeNodeSchedulingOptionValues)),
    )
    .action(async (invocation) => {
      const option = flags<NodeFlags>(invocation).nodeDisableSchedulingOption;
      await invocation.client().computeNode.disableScheduling(pool(invocation), node(invocation), compact({ nodeDisableSchedulingOption: option }));
      return undefined;
    });

  const user = nodes.command("user").description("Manage the user accounts of a node.");
  leaf(user, "create", "Add a user account to a node.")
    .ids("pool-id", "node-id")
    .jsonFile("the user")
    .options((command) => userFlags(command.option("--name <name>", "the user name").option("--is-admin", "make the user an administrator")))
    .action(async (invocation) => {
      const options = flags<NodeFlags>(invocation);
      const body = requestBody<ComputeNodeUser>(invocation, "Compute Node - Add User", () => {
        requireOptions(invocation, "name");
        return compact({ name: options.name, isAdmin: options.isAdmin, password: options.password, sshPublicKey: options.sshPublicKey, expiryTime: options.expiryTime }) as ComputeNodeUser;
      });
      await invocation.client().computeNode.addUser(pool(invocation), node(invocation), body);
      return undefined;
    });
  leaf(user, "reset", "Replace a user's password, SSH key and expiry (what is not given is reset).")
    .alias("update")
    .ids("pool-id", "node-id", "user-name")
    .jsonFile("the user's new settings")
    .options(userFlags)
    .action(async (invocation) => {
      const options = flags<NodeFlags>(invocation);
      const body = requestBody<NodeUpdateUserParameter>(invocation, "Compute Node - Update User", () =>
        compact({ password: options.password, sshPublicKey: options.sshPublicKey, expiryTime: options.expiryTime }),
      );
      await invocation.client().computeNode.updateUser(pool(invocation), node(invocation), invocation.ids["userName"] as string, body);
      return undefined;
    });
  leaf(user, "delete", "Delete a user account from a node.")
    .ids("pool-id", "node-id", "user-name")
    .confirm((ids) => `The user '${ids["userName"]}' will be deleted from node '${ids["nodeId"]}'.`)
    .action(async (invocation) => {
      await invocation.client().computeNode.deleteUser(pool(invocation), node(invocation), invocation.ids["userName"] as string);
      return undefined;
    });

  const remoteLogin = nodes.command("remote-login-settings").description("Retrieve the remote login settings of a node.");
  leaf(remoteLogin, "show", "Get the IP address and port to log in to a node.")
    .ids("pool-id", "node-id")
    .action((invocation) => invocation.client().computeNode.getRemoteLoginSettings(pool(invocation), node(invocation)));

  const serviceLogs = nodes.command("service-logs").description("Manage the service log files of a node.");
  leaf(serviceLogs, "upload", "Upload the node agent's log files to a blob container.")
    .ids("pool-id", "node-id")
    .jsonFile("the upload configuration")
    .options((command) =>
      command
        .option("--container-url <url>", "a container URL with a SAS that allows writing")
        .option("--start-time <time>", "the earliest log time to upload (ISO-8601)", dateTime)
        .option("--end-time <time>", "the latest log time to upload (ISO-8601)", dateTime)
        .option("--resource-id <id>", "a user-assigned identity to write with, instead of a SAS"),
    )
    .action((invocation) => {
      const options = flags<NodeFlags>(invocation);
      const body = requestBody<UploadBatchServiceLogsConfiguration>(invocation, "Compute Node - Upload Batch Service Logs", () => {
        requireOptions(invocation, "containerUrl", "startTime");
        return compact({
          containerUrl: options.containerUrl,
          startTime: options.startTime,
          endTime: options.endTime,
          identityReference: options.resourceId === undefined ? undefined : { resourceId: options.resourceId },
        }) as UploadBatchServiceLogsConfiguration;
      });
      return invocation.client().computeNode.uploadBatchServiceLogs(pool(invocation), node(invocation), body);
    });

  addFileCommands(nodes, {
    noun: "node",
    ids: ["pool-id", "node-id"],
    list: (invocation, options) => invocation.client().file.listFromComputeNode(pool(invocation), node(invocation), options),
    get: (invocation, path, options) => invocation.client().file.getFromComputeNode(pool(invocation), node(invocation), path, options),
    properties: (invocation, path, options) => invocation.client().file.getPropertiesFromComputeNode(pool(invocation), node(invocation), path, options),
    remove: (invocation, path, options) => invocation.client().file.deleteFromComputeNode(pool(invocation), node(invocation), path, options),
  });

  return nodes;
}
