/**
 * One task: what it runs (command line, environment), when and how it ran (timing, exit code, failure, retries,
 * node), its dependencies, its stdout/stderr with tail and follow, and its files with downloads.
 */
import { useMemo, useState } from "preact/hooks";
import type { BatchServiceClient, CloudTask } from "@openbatch/client";
import { ActionButton, ErrorBanner, Fields, Section, StateBadge, duration, time, useLoad } from "../components/common.js";
import { FileBrowser, FileViewer, type FileSource } from "../components/Files.js";
import { useLive } from "../live.js";
import { href } from "../router.js";
import { LiveBadge } from "./Overview.js";

export function taskFiles(client: BatchServiceClient, jobId: string, taskId: string): FileSource {
  return {
    label: `task ${taskId}`,
    list: () => client.file.listFromTask(jobId, taskId, { recursive: true }),
    size: async (path) => (await client.file.getPropertiesFromTask(jobId, taskId, path)).contentLength ?? 0,
    read: (path, range) => client.file.getFromTask(jobId, taskId, path, range === undefined ? {} : { ocpRange: range }),
  };
}

function Dependencies({ jobId, task }: { jobId: string; task: CloudTask }) {
  const ids = task.dependsOn?.taskIds ?? [];
  const ranges = task.dependsOn?.taskIdRanges ?? [];
  if (ids.length === 0 && ranges.length === 0) return <p class="muted">No dependencies.</p>;
  return (
    <ul aria-label="Depends on">
      {ids.map((id) => (
        <li key={id}>
          <a href={href.task(jobId, id)}>{id}</a>
        </li>
      ))}
      {ranges.map((range) => (
        <li key={`${range.start}-${range.end}`}>
          tasks {range.start} to {range.end}
        </li>
      ))}
    </ul>
  );
}

export function TaskView({ client, jobId, taskId }: { client: BatchServiceClient; jobId: string; taskId: string }) {
  const { data: task, error, reload } = useLoad(() => client.task.get(jobId, taskId), [client, jobId, taskId]);
  const status = useLive(client, { jobId }, (changes) => {
    if (changes.length === 0 || changes.some((change) => change.kind !== "task" || change.id?.toLowerCase() === taskId.toLowerCase())) void reload();
  });
  const source = useMemo(() => taskFiles(client, jobId, taskId), [client, jobId, taskId]);
  const [open, setOpen] = useState("stdout.txt");
  const info = task?.executionInfo;
  const started = info?.startTime !== undefined;
  return (
    <main>
      <header class="page-head">
        <h1>
          Task {taskId} <span class="muted">of</span> <a href={href.job(jobId)}>{jobId}</a>
        </h1>
        <LiveBadge status={status} />
        <ActionButton label="Terminate" action={async () => (await client.task.terminate(jobId, taskId), reload())} />
        <ActionButton label="Reactivate" action={async () => (await client.task.reactivate(jobId, taskId), reload())} />
        <ActionButton
          label="Delete task"
          kind="danger"
          confirm={`Delete task ${taskId}?`}
          action={async () => {
            await client.task.delete(jobId, taskId);
            location.hash = href.job(jobId);
          }}
        />
      </header>
      <ErrorBanner error={error} />
      {task === undefined ? null : (
        <>
          <Fields
            rows={[
              ["State", <StateBadge state={task.state} />],
              ["Command line", <code>{task.commandLine}</code>],
              ["Exit code", info?.exitCode],
              ["Result", info?.result],
              ["Failure", info?.failureInfo === undefined ? undefined : `${info.failureInfo.category}: ${info.failureInfo.code} — ${info.failureInfo.message ?? ""}`],
              ["Node", task.nodeInfo?.nodeId === undefined ? undefined : <a href={href.node(task.nodeInfo.poolId ?? "", task.nodeInfo.nodeId)}>{task.nodeInfo.nodeId}</a>],
              ["Created", time(task.creationTime)],
              ["Started", time(info?.startTime)],
              ["Ended", time(info?.endTime)],
              ["Duration", duration(info?.startTime, info?.endTime)],
              ["Retries", `${info?.retryCount ?? 0} of ${task.constraints?.maxTaskRetryCount ?? 0}`],
              ["Requeued", info?.requeueCount],
              ["Last retry", time(info?.lastRetryTime)],
              ["Required slots", task.requiredSlots],
            ]}
          />
          <Section title="Environment">
            {(task.environmentSettings ?? []).length === 0 ? (
              <p class="muted">No environment settings.</p>
            ) : (
              <table class="table" aria-label="Environment settings">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Value</th>
                  </tr>
                </thead>
                <tbody>
                  {(task.environmentSettings ?? []).map((setting) => (
                    <tr key={setting.name}>
                      <td>{setting.name}</td>
                      <td>
                        <code>{setting.value}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Dependencies">
            <Dependencies jobId={jobId} task={task} />
          </Section>
          <Section title="Output">
            {!started ? (
              <p class="muted">The task has not started; its output appears here once it runs.</p>
            ) : (
              <>
                <div role="group" aria-label="Output streams" class="tabs">
                  {["stdout.txt", "stderr.txt"].map((name) => (
                    <button key={name} type="button" aria-pressed={open === name} onClick={() => setOpen(name)}>
                      {name}
                    </button>
                  ))}
                </div>
                <FileViewer source={source} path={open} follow={task.state === "running"} />
              </>
            )}
          </Section>
          <Section title="Files">{started ? <FileBrowser source={source} onOpen={setOpen} /> : <p class="muted">No files yet.</p>}</Section>
        </>
      )}
    </main>
  );
}
