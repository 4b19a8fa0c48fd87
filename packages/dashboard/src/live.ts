/**
 * Live updates: the server's event stream through `client.watch()`, with polling as the fallback. A view gives a
 * filter and a `refresh` callback; committed changes (or a `reset`, or a poll tick when the stream is unavailable)
 * call it, coalesced so that a burst of changes costs one refresh per `minIntervalInMs`. The first `ready` of the
 * stream refreshes too, so nothing committed between the view's first load and the subscription is missed.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { isBatchError, type BatchServiceClient, type EntityChange, type WatchOptions } from "@openbatch/client";

export type LiveStatus = "connecting" | "live" | "polling";

const pollIntervalInMs = 5000;

export function useLive(
  client: BatchServiceClient,
  filter: Pick<WatchOptions, "jobId" | "poolId">,
  refresh: (changes: readonly EntityChange[]) => void,
  minIntervalInMs = 400,
): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  useEffect(() => {
    const controller = new AbortController();
    let pending: EntityChange[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const schedule = (changes: readonly EntityChange[]) => {
      pending.push(...changes);
      if (timer !== undefined) return;
      const wait = Math.max(0, last + minIntervalInMs - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        const batch = pending;
        pending = [];
        refreshRef.current(batch);
      }, wait);
    };
    let poller: ReturnType<typeof setInterval> | undefined;
    let open = false;
    const poll = () => {
      setStatus("polling");
      poller ??= setInterval(() => schedule([]), pollIntervalInMs);
    };
    void (async () => {
      try {
        for await (const event of client.watch({ ...filter, abortSignal: controller.signal })) {
          if (event.type === "ready") {
            open = true;
            clearInterval(poller);
            poller = undefined;
            setStatus("live");
            schedule([]);
          } else if (event.type === "reset") {
            schedule([]);
          } else {
            schedule([event]);
          }
        }
      } catch (error) {
        // No event stream (Azure Batch, an older server, a refused filter): poll instead.
        if (!controller.signal.aborted) {
          console.warn("event stream unavailable, polling", isBatchError(error) ? error.code : error);
          poll();
        }
      }
    })();
    // Until the stream says it is open, keep the view fresh by polling.
    const fallback = setTimeout(() => {
      if (!controller.signal.aborted && !open) poll();
    }, 5000);
    return () => {
      controller.abort();
      clearTimeout(timer);
      clearTimeout(fallback);
      clearInterval(poller);
    };
  }, [client, filter.jobId, filter.poolId]);
  return status;
}
