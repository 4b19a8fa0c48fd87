/** The account's job schedules, certificates and applications. */
import type { BatchServiceClient } from "@openbatch/client";
import { ActionButton, ErrorBanner, StateBadge, time, useLoad } from "../components/common.js";
import { href } from "../router.js";

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}

export function SchedulesView({ client }: { client: BatchServiceClient }) {
  const { data, error, reload } = useLoad(() => all(client.jobSchedule.list()), [client]);
  return (
    <main>
      <h1>Job schedules</h1>
      <ErrorBanner error={error} />
      <table class="table" aria-label="Job schedules">
        <thead>
          <tr>
            <th scope="col">Schedule</th>
            <th scope="col">State</th>
            <th scope="col">Recurrence</th>
            <th scope="col">Next run</th>
            <th scope="col">Recent job</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((schedule) => (
            <tr key={schedule.id}>
              <td>{schedule.id}</td>
              <td>
                <StateBadge state={schedule.state} />
              </td>
              <td>{schedule.schedule?.recurrenceInterval ?? "once"}</td>
              <td>{time(schedule.executionInfo?.nextRunTime) ?? ""}</td>
              <td>{schedule.executionInfo?.recentJob?.id === undefined ? "" : <a href={href.job(schedule.executionInfo.recentJob.id)}>{schedule.executionInfo.recentJob.id}</a>}</td>
              <td>
                {schedule.state === "disabled" ? (
                  <ActionButton label="Enable" ariaLabel={`Enable ${schedule.id}`} action={async () => (await client.jobSchedule.enable(schedule.id ?? ""), reload())} />
                ) : (
                  <ActionButton label="Disable" ariaLabel={`Disable ${schedule.id}`} action={async () => (await client.jobSchedule.disable(schedule.id ?? ""), reload())} />
                )}{" "}
                <ActionButton label="Terminate" ariaLabel={`Terminate ${schedule.id}`} action={async () => (await client.jobSchedule.terminate(schedule.id ?? ""), reload())} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data !== undefined && data.length === 0 ? <p class="muted">No job schedules.</p> : null}
    </main>
  );
}

export function CertificatesView({ client }: { client: BatchServiceClient }) {
  const { data, error } = useLoad(() => all(client.certificate.list()), [client]);
  return (
    <main>
      <h1>Certificates</h1>
      <ErrorBanner error={error} />
      <table class="table" aria-label="Certificates">
        <thead>
          <tr>
            <th scope="col">Thumbprint</th>
            <th scope="col">Algorithm</th>
            <th scope="col">State</th>
            <th scope="col">Format</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((certificate) => (
            <tr key={certificate.thumbprint}>
              <td>
                <code>{certificate.thumbprint}</code>
              </td>
              <td>{certificate.thumbprintAlgorithm}</td>
              <td>
                <StateBadge state={certificate.state} />
              </td>
              <td>{certificate.publicData === undefined ? "" : "public data available"}</td>
              <td>{time(certificate.stateTransitionTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data !== undefined && data.length === 0 ? <p class="muted">No certificates.</p> : null}
    </main>
  );
}

export function ApplicationsView({ client }: { client: BatchServiceClient }) {
  const { data, error } = useLoad(() => all(client.application.list()), [client]);
  return (
    <main>
      <h1>Applications</h1>
      <ErrorBanner error={error} />
      <table class="table" aria-label="Applications">
        <thead>
          <tr>
            <th scope="col">Application</th>
            <th scope="col">Display name</th>
            <th scope="col">Versions</th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((application) => (
            <tr key={application.id}>
              <td>{application.id}</td>
              <td>{application.displayName}</td>
              <td>{(application.versions ?? []).join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data !== undefined && data.length === 0 ? <p class="muted">No applications. Upload packages with `openbatch application upload`.</p> : null}
    </main>
  );
}
