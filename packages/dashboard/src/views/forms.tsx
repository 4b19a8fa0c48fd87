/** Forms that create things: a pool, a job with N tasks. Every control has a visible label. */
import { useState } from "preact/hooks";
import type { BatchServiceClient } from "@openbatch/client";
import { ErrorBanner } from "../components/common.js";
import { href } from "../router.js";

const defaultImage = {
  imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
  nodeAgentSKUId: "batch.node.ubuntu 22.04",
};

function value(event: Event): string {
  return (event.target as HTMLInputElement).value;
}

export function CreatePoolForm({ client, onCreated }: { client: BatchServiceClient; onCreated: () => void }) {
  const [id, setId] = useState("");
  const [vmSize, setVmSize] = useState("standard_d2s_v3");
  const [nodes, setNodes] = useState("2");
  const [slots, setSlots] = useState("1");
  const [startTask, setStartTask] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="form"
      aria-label="Create pool"
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          await client.pool.add({
            id: id.trim(),
            vmSize,
            targetDedicatedNodes: Number(nodes),
            taskSlotsPerNode: Number(slots),
            virtualMachineConfiguration: defaultImage,
            ...(startTask.trim() === "" ? {} : { startTask: { commandLine: startTask.trim(), waitForSuccess: true } }),
          });
          onCreated();
          location.hash = href.pool(id.trim());
        } catch (caught) {
          setError(caught);
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="row">
        <label>
          Pool id <input name="poolId" required value={id} onInput={(event) => setId(value(event))} />
        </label>
        <label>
          VM size <input name="vmSize" required value={vmSize} onInput={(event) => setVmSize(value(event))} />
        </label>
        <label>
          Dedicated nodes <input name="targetDedicatedNodes" type="number" min={0} max={1000} required value={nodes} onInput={(event) => setNodes(value(event))} />
        </label>
        <label>
          Task slots per node <input name="taskSlotsPerNode" type="number" min={1} max={256} required value={slots} onInput={(event) => setSlots(value(event))} />
        </label>
      </div>
      <label>
        Start task command line (optional) <input name="startTask" class="wide" value={startTask} onInput={(event) => setStartTask(value(event))} />
      </label>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? "Creating…" : "Create pool"}
      </button>
      <ErrorBanner error={error} />
    </form>
  );
}

export function SubmitJobForm({ client, pools, onCreated }: { client: BatchServiceClient; pools: readonly string[]; onCreated: () => void }) {
  const [id, setId] = useState("");
  const [poolId, setPoolId] = useState("");
  const [count, setCount] = useState("10");
  const [commandLine, setCommandLine] = useState('/bin/sh -c "echo task {i}"');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const pool = poolId === "" ? (pools[0] ?? "") : poolId;
  return (
    <form
      class="form"
      aria-label="Submit job"
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          const jobId = id.trim();
          // The job ends itself once its tasks have: set after they are added, or an empty job would end at once.
          await client.job.add({ id: jobId, poolInfo: { poolId: pool } });
          const width = String(Number(count) - 1).length;
          const tasks = Array.from({ length: Number(count) }, (_, index) => ({
            id: `task-${String(index).padStart(width, "0")}`,
            commandLine: commandLine.replaceAll("{i}", String(index)),
          }));
          await client.task.addCollection(jobId, tasks);
          await client.job.patch(jobId, { onAllTasksComplete: "terminatejob" });
          onCreated();
          location.hash = href.job(jobId);
        } catch (caught) {
          setError(caught);
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="row">
        <label>
          Job id <input name="jobId" required value={id} onInput={(event) => setId(value(event))} />
        </label>
        <label>
          Pool
          <select name="poolId" required value={pool} onChange={(event) => setPoolId((event.target as HTMLSelectElement).value)}>
            {pools.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tasks <input name="taskCount" type="number" min={1} max={100000} required value={count} onInput={(event) => setCount(value(event))} />
        </label>
      </div>
      <label>
        Command line ({"{i}"} is the task's number) <input name="commandLine" class="wide" required value={commandLine} onInput={(event) => setCommandLine(value(event))} />
      </label>
      <button type="submit" class="primary" disabled={busy || pool === ""}>
        {busy ? "Submitting…" : "Submit job"}
      </button>
      <ErrorBanner error={error} />
    </form>
  );
}
