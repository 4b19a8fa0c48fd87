/** Small building blocks every view uses: errors, async actions, property lists, times. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { isBatchError, type FileDownload } from "@openbatch/client";

export function errorText(error: unknown): string {
  if (isBatchError(error)) return `${error.code ?? "Error"}${error.statusCode === undefined ? "" : ` (${error.statusCode})`}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorBanner({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

/** Loads data with `load` whenever `deps` change; `reload` runs it again without clearing what is shown. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): { data: T | undefined; error: unknown; reload: () => Promise<void> } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const reload = useCallback(async () => {
    try {
      setData(await load());
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  }, deps);
  useEffect(() => {
    setData(undefined);
    void reload();
  }, [reload]);
  return { data, error, reload };
}

/** A button that runs an async action, shows it is busy and reports its error next to it. */
export function ActionButton({ label, action, confirm, kind, ariaLabel }: { label: string; action: () => Promise<unknown>; confirm?: string; kind?: "danger" | "primary"; ariaLabel?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  return (
    <span class="action">
      <button
        type="button"
        class={kind}
        disabled={busy}
        aria-label={ariaLabel}
        onClick={async () => {
          if (confirm !== undefined && !window.confirm(confirm)) return;
          setBusy(true);
          setError(undefined);
          try {
            await action();
          } catch (caught) {
            setError(caught);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? `${label}…` : label}
      </button>
      {error === undefined ? null : <span class="error" role="alert">{errorText(error)}</span>}
    </span>
  );
}

export function Fields({ rows }: { rows: readonly (readonly [string, ComponentChildren])[] }) {
  return (
    <dl class="fields">
      {rows
        .filter(([, value]) => value !== undefined && value !== null && value !== "")
        .map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

export function time(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = typeof value === "string" ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? undefined : date.toLocaleString();
}

export function duration(start: Date | string | undefined, end: Date | string | undefined): string | undefined {
  if (start === undefined) return undefined;
  const ms = (end === undefined ? Date.now() : new Date(end).getTime()) - new Date(start).getTime();
  if (!Number.isFinite(ms)) return undefined;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function StateBadge({ state }: { state: string | undefined }) {
  return <span class={`badge state-${state ?? "unknown"}`}>{state ?? "—"}</span>;
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <header class="section-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/**
 * A download's body as the DOM's ReadableStream: the client's declarations name Node's web-stream type (its
 * `.d.ts` serve Node.js too), which is the same object in a browser.
 */
export function webStream(download: FileDownload): ReadableStream<Uint8Array<ArrayBuffer>> {
  return download.body as unknown as ReadableStream<Uint8Array<ArrayBuffer>>;
}

/** Saves a download as a file the way browsers do: an object URL behind a temporary link. */
export async function saveDownload(download: FileDownload, name: string): Promise<void> {
  const blob = await new Response(webStream(download)).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name.split("/").pop() ?? name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
