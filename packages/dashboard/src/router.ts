/**
 * Hash routes (`#/jobs/j1/tasks/t1`), so the server serves one index.html and a reload keeps the view. Ids are
 * percent-encoded per segment.
 */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { readonly view: "overview" }
  | { readonly view: "pool"; readonly poolId: string }
  | { readonly view: "node"; readonly poolId: string; readonly nodeId: string }
  | { readonly view: "job"; readonly jobId: string }
  | { readonly view: "task"; readonly jobId: string; readonly taskId: string }
  | { readonly view: "schedules" }
  | { readonly view: "certificates" }
  | { readonly view: "applications" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter((part) => part !== "").map((part) => decodeURIComponent(part));
  const [first, id, second, childId] = parts;
  if (first === "pools" && id !== undefined && second === "nodes" && childId !== undefined) return { view: "node", poolId: id, nodeId: childId };
  if (first === "pools" && id !== undefined) return { view: "pool", poolId: id };
  if (first === "jobs" && id !== undefined && second === "tasks" && childId !== undefined) return { view: "task", jobId: id, taskId: childId };
  if (first === "jobs" && id !== undefined) return { view: "job", jobId: id };
  if (first === "schedules") return { view: "schedules" };
  if (first === "certificates") return { view: "certificates" };
  if (first === "applications") return { view: "applications" };
  return { view: "overview" };
}

const segment = encodeURIComponent;

export const href = {
  overview: () => "#/",
  pool: (poolId: string) => `#/pools/${segment(poolId)}`,
  node: (poolId: string, nodeId: string) => `#/pools/${segment(poolId)}/nodes/${segment(nodeId)}`,
  job: (jobId: string) => `#/jobs/${segment(jobId)}`,
  task: (jobId: string, taskId: string) => `#/jobs/${segment(jobId)}/tasks/${segment(taskId)}`,
  schedules: () => "#/schedules",
  certificates: () => "#/certificates",
  applications: () => "#/applications",
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
