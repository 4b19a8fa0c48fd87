/**
 * One job: a live progress bar, task counts over time, and a task table filtered and paged on the server (`$filter`
 * on state, result, exit code and id prefix; 100 tasks a page, continuation tokens kept for going back), so a job
 * of 100,000 tasks costs one page at a time. Terminate, disable and enable act on the job.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { odataString, type BatchServiceClient, type CloudJob, type CloudTask } from "@openbatch/client";
import { ActionButton, ErrorBanner, Fields, Section, StateBadge, duration, time } from "../components/common.js";
import { countsOf, ProgressBar, type Counts } from "../components/Progress.js";
import { addSample, emptySamples, TimeChart } from "../components/TimeChart.js";
import { useLive } from "../live.js";
import { href } from "../router.js";
import { LiveBadge } from "./Overview.js";

export const pageSize = 100;

export interface TaskFilter {
  readonly state: string;
  readonly result: string;
  readonly exitCode: string;
  readonly idPrefix: string;
}

/** The OData `$filter` of the table's controls (undefined when nothing is filtered). */
export function taskFilterExpression(filter: TaskFilter): string | undefined {
  const clauses: string[] = [];
  if (filter.state !== "") clauses.push(`state eq '${filter.state}'`);
  if (filter.result !== "") clauses.push(`executionInfo/result eq '${filter.result}'`);
  if (/^-?\d+$/.test(filter.exitCode.trim())) clauses.push(`executionInfo/exitCode eq ${Number(filter.exitCode.trim())}`);
  if (filter.idPrefix.trim() !== "") clauses.push(`startswith(id,${odataString(filter.idPrefix.trim())})`);
  return clauses.length === 0 ? undefined : clauses.join(" and ");
}

interface TaskPage {
  readonly tasks: CloudTask[];
  readonly next: string | undefined;
}

async function loadPage(client: BatchServiceClient, jobId: string, filter: TaskFilter, token: string | undefined): Promise<TaskPage> {
  const expression = taskFilterExpression(filter);
  const pages = client.task
    .list(jobId, { select: "id,state,executionInfo,nodeInfo,creationTime", ...(expression === undefined ? {} : { filter: expression }) })
    .byPage({ maxPageSize: pageSize, ...(token === undefined ? {} : { continuationToken: token }) });
  const first = await pages.next();
  await pages.return?.(undefined);
  if (first.done === true) return { tasks: [], next: undefined };
  return { tasks: [...first.value], next: first.value.continuationToken };
}

function TaskTable({ client, jobId, refreshKey }: { client: BatchServiceClient; jobId: string; refreshKey: number }) {
  const [filter, setFilter] = useState<TaskFilter>({ state: "", result: "", exitCode: "", idPrefix: "" });
  const [draft, setDraft] = useState<TaskFilter>(filter);
  // Tokens of the pages before the current one (undefined = the first page).
  const [trail, setTrail] = useState<(string | undefined)[]>([]);
  const [token, setToken] = useState<string | undefined>(undefined);
  const [page, setPage] = useState<TaskPage | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    let cancelled = false;
    loadPage(client, jobId, filter, token).then(
      (loaded) => !cancelled && (setPage(loaded), setError(undefined)),
      (caught: unknown) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [client, jobId, filter, token, refreshKey]);
  const field = (name: keyof TaskFilter) => (event: Event) => setDraft({ ...draft, [name]: (event.target as HTMLInputElement).value });
  return (
    <div>
      <form
        class="form row"
        aria-label="Filter tasks"
        onSubmit={(event) => {
          event.preventDefault();
          setTrail([]);
          setToken(undefined);
          setFilter(draft);
        }}
      >
        <label>
          State
          <select name="state" value={draft.state} onChange={field("state")}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="preparing">preparing</option>
            <option value="running">running</option>
            <option value="completed">completed</option>
          </select>
        </label>
        <label>
          Result
          <select name="result" value={draft.result} onChange={field("result")}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
          </select>
        </label>
        <label>
          Exit code <input name="exitCode" inputMode="numeric" size={5} value={draft.exitCode} onInput={field("exitCode")} />
        </label>
        <label>
          Id starts with <input name="idPrefix" value={draft.idPrefix} onInput={field("idPrefix")} />
        </label>
        <button type="submit">Apply filter</button>
      </form>
      <ErrorBanner error={error} />
      <table class="table" aria-label="Tasks">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">State</th>
            <th scope="col">Exit code</th>
            <th scope="col">Result</th>
            <th scope="col">Node</th>
            <th scope="col">Duration</th>
            <th scope="col">Retries</th>
          </tr>
        </thead>
        <tbody>
          {(page?.tasks ?? []).map((task) => (
            <tr key={task.id} data-task-id={task.id}>
              <td>
                <a href={href.task(jobId, task.id ?? "")}>{task.id}</a>
              </td>
              <td>
                <StateBadge state={task.state} />
              </td>
              <td>{task.executionInfo?.exitCode ?? ""}</td>
              <td>{task.executionInfo?.result ?? ""}</td>
              <td>{task.nodeInfo?.nodeId ?? ""}</td>
              <td>{duration(task.executionInfo?.startTime, task.executionInfo?.endTime) ?? ""}</td>
              <td>{task.executionInfo?.retryCount ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page !== undefined && page.tasks.length === 0 ? <p class="muted">No tasks match.</p> : null}
      <nav class="pager" aria-label="Task pages">
        <button
          type="button"
          disabled={trail.length === 0}
          onClick={() => {
            setToken(trail.at(-1));
            setTrail(trail.slice(0, -1));
          }}
        >
          Previous page
        </button>
        <span>Page {trail.length + 1}</span>
        <button
          type="button"
          disabled={page?.next === undefined}
          onClick={() => {
            setTrail([...trail, token]);
            setToken(page?.next);
          }}
        >
          Next page
        </button>
      </nav>
    </div>
  );
}

export function JobView({ client, jobId }: { client: BatchServiceClient; jobId: string }) {
  const [job, setJob] = useState<CloudJob | undefined>(undefined);
  const [counts, setCounts] = useState<Counts | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [refreshKey, setRefreshKey] = useState(0);
  const [history, setHistory] = useState(() => emptySamples([["waiting", "#999"], ["running", "#2b7bb9"], ["completed", "#2e8540"]]));
  const alive = useRef(true);
  const refresh = useCallback(async () => {
    try {
      const [loadedJob, loadedCounts] = await Promise.all([client.job.get(jobId), client.job.getTaskCounts(jobId)]);
      if (!alive.current) return;
      const next = countsOf(loadedCounts.taskCounts);
      setJob(loadedJob);
      setCounts(next);
      setHistory((previous) => addSample(previous, [next.active, next.running, next.completed]));
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  }, [client, jobId]);
  useEffect(() => {
    alive.current = true;
    setJob(undefined);
    setCounts(undefined);
    void refresh();
    return () => {
      alive.current = false;
    };
  }, [refresh]);
  const status = useLive(client, { jobId }, () => {
    void refresh();
    setRefreshKey((key) => key + 1);
  });
  return (
    <main>
      <header class="page-head">
        <h1>Job {jobId}</h1>
        <LiveBadge status={status} />
        <ActionButton label="Terminate" confirm={`Terminate job ${jobId}?`} action={async () => (await client.job.terminate(jobId), refresh())} />
        <ActionButton label="Disable" action={async () => (await client.job.disable(jobId, "requeue"), refresh())} />
        <ActionButton label="Enable" action={async () => (await client.job.enable(jobId), refresh())} />
        <ActionButton
          label="Delete job"
          kind="danger"
          confirm={`Delete job ${jobId} and its tasks?`}
          action={async () => {
            await client.job.delete(jobId);
            location.hash = href.overview();
          }}
        />
      </header>
      <ErrorBanner error={error} />
      <ProgressBar counts={counts ?? countsOf(undefined)} />
      {job === undefined ? null : (
        <Fields
          rows={[
            ["State", <StateBadge state={job.state} />],
            ["Pool", job.executionInfo?.poolId === undefined ? undefined : <a href={href.pool(job.executionInfo.poolId)}>{job.executionInfo.poolId}</a>],
            ["Priority", job.priority],
            ["When all tasks complete", job.onAllTasksComplete],
            ["Created", time(job.creationTime)],
            ["Ended", time(job.executionInfo?.endTime)],
            ["Termination reason", job.executionInfo?.terminateReason],
            ["Scheduling error", job.executionInfo?.schedulingError?.message],
          ]}
        />
      )}
      <TimeChart title="Task counts over time" samples={history} />
      <Section title="Tasks">
        <TaskTable client={client} jobId={jobId} refreshKey={refreshKey} />
      </Section>
    </main>
  );
}
