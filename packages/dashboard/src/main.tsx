/**
 * The OpenBatch dashboard: a client of the Batch REST API (through @openbatch/client's browser build) and of the
 * server's event stream, served at /ui/. Sign in, then hash routes pick the view (router.ts).
 */
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { clearSession, clientFor, describeSession, loadSession, saveSession, serverConfig, verify, type ServerConfig, type Session } from "./session.js";
import { href, useRoute, type Route } from "./router.js";
import type { BatchServiceClient } from "@openbatch/client";
import { Overview } from "./views/Overview.js";
import { PoolView } from "./views/PoolView.js";
import { JobView } from "./views/JobView.js";
import { TaskView } from "./views/TaskView.js";
import { NodeView } from "./views/NodeView.js";
import { ApplicationsView, CertificatesView, SchedulesView } from "./views/Lists.js";
import { SignIn } from "./views/SignIn.js";
import "./styles.css";

function View({ route, client }: { route: Route; client: BatchServiceClient }) {
  switch (route.view) {
    case "pool":
      return <PoolView key={route.poolId} client={client} poolId={route.poolId} />;
    case "node":
      return <NodeView key={`${route.poolId}/${route.nodeId}`} client={client} poolId={route.poolId} nodeId={route.nodeId} />;
    case "job":
      return <JobView key={route.jobId} client={client} jobId={route.jobId} />;
    case "task":
      return <TaskView key={`${route.jobId}/${route.taskId}`} client={client} jobId={route.jobId} taskId={route.taskId} />;
    case "schedules":
      return <SchedulesView client={client} />;
    case "certificates":
      return <CertificatesView client={client} />;
    case "applications":
      return <ApplicationsView client={client} />;
    default:
      return <Overview client={client} />;
  }
}

function App() {
  const [session, setSession] = useState<Session | undefined>(() => loadSession());
  const [config, setConfig] = useState<ServerConfig | undefined>(undefined);
  const route = useRoute();
  const client = useMemo(() => (session === undefined ? undefined : clientFor(session)), [session]);
  useEffect(() => {
    void serverConfig().then(setConfig);
  }, []);
  useEffect(() => () => void client?.close(), [client]);
  // The development account signs in by itself (the server offers it only on loopback).
  useEffect(() => {
    if (session === undefined && config?.developmentAccount != null && sessionStorage.getItem("openbatch.signedOut") === null) {
      const development: Session = { kind: "sharedKey", account: config.developmentAccount.name, key: config.developmentAccount.key };
      saveSession(development);
      setSession(development);
    }
  }, [config, session]);
  useEffect(() => {
    const titles: Record<Route["view"], string> = {
      overview: "Overview",
      pool: "Pool",
      node: "Node",
      job: "Job",
      task: "Task",
      schedules: "Job schedules",
      certificates: "Certificates",
      applications: "Applications",
    };
    document.title = `${titles[route.view]} — OpenBatch`;
  }, [route]);
  if (session === undefined || client === undefined) {
    if (config === undefined) return <p class="muted">Loading…</p>;
    return (
      <SignIn
        config={config}
        onSignIn={async (candidate) => {
          const probe = clientFor(candidate);
          try {
            await verify(probe);
          } finally {
            await probe.close();
          }
          saveSession(candidate);
          sessionStorage.removeItem("openbatch.signedOut");
          setSession(candidate);
        }}
      />
    );
  }
  return (
    <>
      <a class="skip" href="#content">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href.overview()}>
          OpenBatch
        </a>
        <nav aria-label="Main">
          <a href={href.overview()} aria-current={route.view === "overview" ? "page" : undefined}>
            Overview
          </a>
          <a href={href.schedules()} aria-current={route.view === "schedules" ? "page" : undefined}>
            Job schedules
          </a>
          <a href={href.certificates()} aria-current={route.view === "certificates" ? "page" : undefined}>
            Certificates
          </a>
          <a href={href.applications()} aria-current={route.view === "applications" ? "page" : undefined}>
            Applications
          </a>
        </nav>
        <span class="who">
          Signed in as <strong>{describeSession(session)}</strong>{" "}
          <button
            type="button"
            onClick={() => {
              clearSession();
              sessionStorage.setItem("openbatch.signedOut", "1");
              setSession(undefined);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <div id="content" tabIndex={-1}>
        <View route={route} client={client} />
      </div>
    </>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
