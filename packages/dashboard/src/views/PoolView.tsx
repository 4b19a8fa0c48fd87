/**
 * One pool: its properties, a heat map of its nodes, resize, the autoscale formula editor with evaluation, and the
 * start task with each node's start-task outcome.
 */
import { useState } from "preact/hooks";
import type { BatchServiceClient, CloudPool, ComputeNode, AutoScaleRun } from "@openbatch/client";
import { ActionButton, ErrorBanner, Fields, Section, StateBadge, errorText, time, useLoad } from "../components/common.js";
import { HeatMap } from "../components/HeatMap.js";
import { useLive } from "../live.js";
import { href } from "../router.js";
import { LiveBadge } from "./Overview.js";

const sampleFormula = `$samples = $ActiveTasks.GetSamplePercent(TimeInterval_Minute * 5);
$tasks = $samples < 70 ? max(0, $ActiveTasks.GetSample(1)) : max($ActiveTasks.GetSample(1), avg($ActiveTasks.GetSample(TimeInterval_Minute * 5)));
$TargetDedicatedNodes = min(10, $tasks);
$NodeDeallocationOption = taskcompletion;`;

async function loadPool(client: BatchServiceClient, poolId: string): Promise<{ pool: CloudPool; nodes: ComputeNode[] }> {
  const [pool, nodes] = await Promise.all([
    client.pool.get(poolId),
    (async () => {
      const list: ComputeNode[] = [];
      for await (const node of client.computeNode.list(poolId, { select: "id,state,schedulingState,runningTasksCount,runningTaskSlotsCount,totalTasksRun,startTaskInfo,ipAddress,errors" })) list.push(node);
      return list;
    })(),
  ]);
  return { pool, nodes };
}

function value(event: Event): string {
  return (event.target as HTMLInputElement).value;
}

function ResizeForm({ client, pool, onDone }: { client: BatchServiceClient; pool: CloudPool; onDone: () => void }) {
  const [dedicated, setDedicated] = useState(String(pool.targetDedicatedNodes ?? 0));
  const [spot, setSpot] = useState(String(pool.targetLowPriorityNodes ?? 0));
  const [error, setError] = useState<unknown>(undefined);
  return (
    <form
      class="form row"
      aria-label="Resize pool"
      onSubmit={async (event) => {
        event.preventDefault();
        setError(undefined);
        try {
          await client.pool.resize(pool.id ?? "", { targetDedicatedNodes: Number(dedicated), targetLowPriorityNodes: Number(spot) });
          onDone();
        } catch (caught) {
          setError(caught);
        }
      }}
    >
      <label>
        Dedicated nodes <input name="resizeDedicated" type="number" min={0} value={dedicated} onInput={(event) => setDedicated(value(event))} />
      </label>
      <label>
        Spot nodes <input name="resizeSpot" type="number" min={0} value={spot} onInput={(event) => setSpot(value(event))} />
      </label>
      <button type="submit" disabled={pool.enableAutoScale === true}>
        Resize
      </button>
      <ActionButton label="Stop resize" action={async () => (await client.pool.stopResize(pool.id ?? ""), onDone())} />
      <ErrorBanner error={error} />
    </form>
  );
}

function AutoscaleEditor({ client, pool, onDone }: { client: BatchServiceClient; pool: CloudPool; onDone: () => void }) {
  const [formula, setFormula] = useState(pool.autoScaleFormula ?? sampleFormula);
  const [interval, setEvalInterval] = useState("5");
  const [result, setResult] = useState<AutoScaleRun | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const evaluate = async () => {
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await client.pool.evaluateAutoScale(pool.id ?? "", formula));
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <div class="form">
      <label for="autoscale-formula">Autoscale formula</label>
      <textarea id="autoscale-formula" class="code" rows={6} value={formula} onInput={(event) => setFormula((event.target as HTMLTextAreaElement).value)} />
      <div class="row">
        <label>
          Evaluation interval (minutes) <input name="autoscaleInterval" type="number" min={5} max={10080} value={interval} onInput={(event) => setEvalInterval(value(event))} />
        </label>
        <button type="button" onClick={() => void evaluate()} disabled={pool.enableAutoScale !== true}>
          Evaluate
        </button>
        <ActionButton
          label="Enable autoscale"
          action={async () => {
            await client.pool.enableAutoScale(pool.id ?? "", { autoScaleFormula: formula, autoScaleEvaluationInterval: `PT${Number(interval)}M` });
            onDone();
          }}
        />
        <ActionButton label="Disable autoscale" action={async () => (await client.pool.disableAutoScale(pool.id ?? ""), onDone())} />
      </div>
      {pool.enableAutoScale === true ? null : <p class="muted">Evaluate needs autoscale enabled on the pool (as on Azure).</p>}
      <ErrorBanner error={error} />
      {result === undefined ? null : (
        <div class="eval" role="status" aria-label="Evaluation result">
          <h3>Evaluation</h3>
          {result.error === undefined ? null : (
            <p class="error">
              {result.error.code}: {result.error.message} {result.error.values?.map((detail) => detail.value).join(" ")}
            </p>
          )}
          <pre class="code" data-testid="autoscale-results">{(result.results ?? "").split(";").join(";\n")}</pre>
        </div>
      )}
      {pool.autoScaleRun === undefined ? null : (
        <p class="muted">
          Last run {time(pool.autoScaleRun.timestamp)}: {pool.autoScaleRun.error === undefined ? pool.autoScaleRun.results : errorText(pool.autoScaleRun.error.message)}
        </p>
      )}
    </div>
  );
}

export function PoolView({ client, poolId }: { client: BatchServiceClient; poolId: string }) {
  const { data, error, reload } = useLoad(() => loadPool(client, poolId), [client, poolId]);
  const status = useLive(client, { poolId }, () => void reload());
  const pool = data?.pool;
  const nodes = data?.nodes ?? [];
  return (
    <main>
      <header class="page-head">
        <h1>Pool {poolId}</h1>
        <LiveBadge status={status} />
        <ActionButton
          label="Delete pool"
          kind="danger"
          confirm={`Delete pool ${poolId} and its nodes?`}
          action={async () => {
            await client.pool.delete(poolId);
            location.hash = href.overview();
          }}
        />
      </header>
      <ErrorBanner error={error} />
      {pool === undefined ? null : (
        <>
          <Fields
            rows={[
              ["State", <StateBadge state={pool.state} />],
              ["Allocation", pool.allocationState],
              ["VM size", pool.vmSize],
              ["Dedicated nodes", `${pool.currentDedicatedNodes ?? 0} of ${pool.targetDedicatedNodes ?? 0}`],
              ["Spot nodes", `${pool.currentLowPriorityNodes ?? 0} of ${pool.targetLowPriorityNodes ?? 0}`],
              ["Task slots per node", pool.taskSlotsPerNode],
              ["Autoscale", pool.enableAutoScale === true ? `on, every ${pool.autoScaleEvaluationInterval}` : "off"],
              ["Resize errors", pool.resizeErrors?.map((resizeError) => `${resizeError.code}: ${resizeError.message}`).join("; ")],
              ["Created", time(pool.creationTime)],
            ]}
          />
          <Section title="Nodes">
            <HeatMap poolId={poolId} nodes={nodes} />
          </Section>
          <Section title="Resize">
            <ResizeForm client={client} pool={pool} onDone={() => void reload()} />
          </Section>
          <Section title="Autoscale">
            <AutoscaleEditor client={client} pool={pool} onDone={() => void reload()} />
          </Section>
          <Section title="Start task">
            {pool.startTask === undefined ? (
              <p class="muted">No start task.</p>
            ) : (
              <>
                <Fields rows={[["Command line", <code>{pool.startTask.commandLine}</code>], ["Wait for success", String(pool.startTask.waitForSuccess ?? false)], ["Max retries", pool.startTask.maxTaskRetryCount]]} />
                <table class="table" aria-label="Start task on each node">
                  <thead>
                    <tr>
                      <th scope="col">Node</th>
                      <th scope="col">Start task state</th>
                      <th scope="col">Exit code</th>
                      <th scope="col">Retries</th>
                      <th scope="col">Failure</th>
                    </tr>
                  </thead>
                  <tbody>
                    {nodes.map((node) => (
                      <tr key={node.id}>
                        <td>
                          <a href={href.node(poolId, node.id ?? "")}>{node.id}</a>
                        </td>
                        <td>{node.startTaskInfo?.state ?? "—"}</td>
                        <td>{node.startTaskInfo?.exitCode ?? ""}</td>
                        <td>{node.startTaskInfo?.retryCount ?? ""}</td>
                        <td>{node.startTaskInfo?.failureInfo?.message ?? ""}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </Section>
        </>
      )}
    </main>
  );
}
