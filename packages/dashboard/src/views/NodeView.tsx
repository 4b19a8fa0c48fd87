/** One compute node: state, errors, recent tasks, users, files, and reboot / reimage / remove / scheduling. */
import { useMemo, useState } from "preact/hooks";
import type { BatchServiceClient } from "@openbatch/client";
import { ActionButton, ErrorBanner, Fields, Section, StateBadge, time, useLoad } from "../components/common.js";
import { FileBrowser, FileViewer, type FileSource } from "../components/Files.js";
import { useLive } from "../live.js";
import { href } from "../router.js";
import { LiveBadge } from "./Overview.js";

function nodeFiles(client: BatchServiceClient, poolId: string, nodeId: string): FileSource {
  return {
    label: `node ${nodeId}`,
    list: () => client.file.listFromComputeNode(poolId, nodeId, { recursive: true }),
    size: async (path) => (await client.file.getPropertiesFromComputeNode(poolId, nodeId, path)).contentLength ?? 0,
    read: (path, range) => client.file.getFromComputeNode(poolId, nodeId, path, range === undefined ? {} : { ocpRange: range }),
  };
}

function UserForm({ client, poolId, nodeId }: { client: BatchServiceClient; poolId: string; nodeId: string }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [admin, setAdmin] = useState(false);
  const [message, setMessage] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const run = async (what: "add" | "delete") => {
    setError(undefined);
    setMessage("");
    try {
      if (what === "add") await client.computeNode.addUser(poolId, nodeId, { name, password, isAdmin: admin });
      else await client.computeNode.deleteUser(poolId, nodeId, name);
      setMessage(what === "add" ? `User ${name} added.` : `User ${name} deleted.`);
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <form class="form row" aria-label="Node users" onSubmit={(event) => (event.preventDefault(), void run("add"))}>
      <label>
        User name <input name="userName" required value={name} onInput={(event) => setName((event.target as HTMLInputElement).value)} />
      </label>
      <label>
        Password <input name="password" type="password" autoComplete="new-password" value={password} onInput={(event) => setPassword((event.target as HTMLInputElement).value)} />
      </label>
      <label>
        <input type="checkbox" checked={admin} onChange={(event) => setAdmin((event.target as HTMLInputElement).checked)} /> Administrator
      </label>
      <button type="submit">Add user</button>
      <button type="button" onClick={() => void run("delete")} disabled={name === ""}>
        Delete user
      </button>
      {message === "" ? null : <span role="status">{message}</span>}
      <ErrorBanner error={error} />
    </form>
  );
}

export function NodeView({ client, poolId, nodeId }: { client: BatchServiceClient; poolId: string; nodeId: string }) {
  const { data: node, error, reload } = useLoad(() => client.computeNode.get(poolId, nodeId), [client, poolId, nodeId]);
  const status = useLive(client, { poolId }, (changes) => {
    if (changes.length === 0 || changes.some((change) => change.kind === "node" && change.id === nodeId)) void reload();
  });
  const source = useMemo(() => nodeFiles(client, poolId, nodeId), [client, poolId, nodeId]);
  const [open, setOpen] = useState<string | undefined>(undefined);
  return (
    <main>
      <header class="page-head">
        <h1>
          Node {nodeId} <span class="muted">of</span> <a href={href.pool(poolId)}>{poolId}</a>
        </h1>
        <LiveBadge status={status} />
        <ActionButton label="Reboot" confirm={`Reboot ${nodeId}? Running tasks are requeued.`} action={async () => (await client.computeNode.reboot(poolId, nodeId), reload())} />
        <ActionButton label="Reimage" confirm={`Reimage ${nodeId}? Its files are lost.`} action={async () => (await client.computeNode.reimage(poolId, nodeId), reload())} />
        {node?.schedulingState === "disabled" ? (
          <ActionButton label="Enable scheduling" action={async () => (await client.computeNode.enableScheduling(poolId, nodeId), reload())} />
        ) : (
          <ActionButton label="Disable scheduling" action={async () => (await client.computeNode.disableScheduling(poolId, nodeId), reload())} />
        )}
        <ActionButton
          label="Remove from pool"
          kind="danger"
          confirm={`Remove ${nodeId} from ${poolId}?`}
          action={async () => {
            await client.pool.removeNodes(poolId, { nodeList: [nodeId] });
            location.hash = href.pool(poolId);
          }}
        />
      </header>
      <ErrorBanner error={error} />
      {node === undefined ? null : (
        <>
          <Fields
            rows={[
              ["State", <StateBadge state={node.state} />],
              ["Scheduling", node.schedulingState],
              ["Running tasks", node.runningTasksCount],
              ["Tasks run", node.totalTasksRun],
              ["Succeeded / failed", `${node.totalTasksSucceeded ?? 0} / ${(node.totalTasksRun ?? 0) - (node.totalTasksSucceeded ?? 0)}`],
              ["IP address", node.ipAddress],
              ["VM size", node.vmSize],
              ["Dedicated", String(node.isDedicated ?? true)],
              ["Start task", node.startTaskInfo === undefined ? undefined : `${node.startTaskInfo.state}${node.startTaskInfo.exitCode === undefined ? "" : `, exit code ${node.startTaskInfo.exitCode}`}`],
              ["Allocated", time(node.allocationTime)],
              ["Agent", node.nodeAgentInfo?.version],
              ["Errors", (node.errors ?? []).map((nodeError) => `${nodeError.code}: ${nodeError.message}`).join("; ")],
            ]}
          />
          <Section title="Recent tasks">
            <table class="table" aria-label="Recent tasks">
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Task</th>
                  <th scope="col">State</th>
                  <th scope="col">Exit code</th>
                </tr>
              </thead>
              <tbody>
                {(node.recentTasks ?? []).map((task) => (
                  <tr key={`${task.jobId}/${task.taskId}`}>
                    <td>
                      <a href={href.job(task.jobId ?? "")}>{task.jobId}</a>
                    </td>
                    <td>
                      <a href={href.task(task.jobId ?? "", task.taskId ?? "")}>{task.taskId}</a>
                    </td>
                    <td>
                      <StateBadge state={task.taskState} />
                    </td>
                    <td>{task.executionInfo?.exitCode ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section title="Users">
            <UserForm client={client} poolId={poolId} nodeId={nodeId} />
          </Section>
          <Section title="Files">
            <FileBrowser source={source} onOpen={setOpen} />
            {open === undefined ? null : <FileViewer source={source} path={open} />}
          </Section>
        </>
      )}
    </main>
  );
}
