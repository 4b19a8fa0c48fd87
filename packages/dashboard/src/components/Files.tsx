/**
 * Files of a task or a node: a browser with downloads, and a viewer that shows the tail of a text file and follows
 * it. The viewer reads ranges only (`ocp-range`): the last 64 KiB first, then every second the bytes added since,
 * so a multi-gigabyte log costs no more than its new lines.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { FileDownload, NodeFile } from "@openbatch/client";
import { ActionButton, ErrorBanner, saveDownload, time, webStream } from "./common.js";

export interface FileSource {
  /** A name for labels ("task t1"). */
  readonly label: string;
  list(): AsyncIterable<NodeFile>;
  size(path: string): Promise<number>;
  read(path: string, range?: string): Promise<FileDownload>;
}

const tailBytes = 64 * 1024;

async function text(download: FileDownload): Promise<string> {
  return new Response(webStream(download)).text();
}

export function FileViewer({ source, path, follow: followInitially = false }: { source: FileSource; path: string; follow?: boolean }) {
  const [content, setContent] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [follow, setFollow] = useState(followInitially);
  const [truncated, setTruncated] = useState(false);
  const offset = useRef(0);
  const view = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let cancelled = false;
    offset.current = 0;
    setContent("");
    setError(undefined);
    const readMore = async () => {
      const size = await source.size(path);
      if (cancelled) return;
      if (offset.current === 0 && size > tailBytes) {
        offset.current = size - tailBytes;
        setTruncated(true);
      }
      if (size <= offset.current) return;
      const chunk = await text(await source.read(path, `bytes=${offset.current}-${size - 1}`));
      if (cancelled) return;
      offset.current = size;
      setContent((previous) => previous + chunk);
    };
    void readMore().catch((caught: unknown) => !cancelled && setError(caught));
    const timer = follow ? setInterval(() => void readMore().catch((caught: unknown) => !cancelled && setError(caught)), 1000) : undefined;
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [source, path, follow]);

  useEffect(() => {
    if (follow && view.current !== null) view.current.scrollTop = view.current.scrollHeight;
  }, [content, follow]);

  return (
    <div class="file-viewer">
      <div class="toolbar">
        <strong>{path}</strong>
        <label>
          <input type="checkbox" checked={follow} onChange={(event) => setFollow((event.target as HTMLInputElement).checked)} /> Follow
        </label>
        {truncated ? <span class="muted">showing the last 64 KiB</span> : null}
      </div>
      <ErrorBanner error={error} />
      <pre ref={view} class="log" tabIndex={0} aria-label={`Content of ${path}`} data-testid="file-content">
        {content === "" && error === undefined ? "(empty)" : content}
      </pre>
    </div>
  );
}

export function FileBrowser({ source, onOpen }: { source: FileSource; onOpen: (path: string) => void }) {
  const [files, setFiles] = useState<NodeFile[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const load = async () => {
    try {
      const found: NodeFile[] = [];
      for await (const file of source.list()) found.push(file);
      found.sort((a, b) => (a.name ?? "").localeCompare(b.name ?? ""));
      setFiles(found);
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  };
  useEffect(() => {
    void load();
  }, [source]);
  return (
    <div>
      <ErrorBanner error={error} />
      <table class="table" aria-label={`Files of ${source.label}`}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Size</th>
            <th scope="col">Modified</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(files ?? [])
            .filter((file) => file.isDirectory !== true)
            .map((file) => (
              <tr key={file.name}>
                <td>{file.name}</td>
                <td>{file.properties?.contentLength ?? ""}</td>
                <td>{time(file.properties?.lastModified)}</td>
                <td>
                  <button type="button" onClick={() => onOpen(file.name ?? "")} aria-label={`View ${file.name}`}>
                    View
                  </button>{" "}
                  <ActionButton label="Download" ariaLabel={`Download ${file.name}`} action={async () => saveDownload(await source.read(file.name ?? ""), file.name ?? "file")} />
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      {files !== undefined && files.length === 0 ? <p class="muted">No files.</p> : null}
      <button type="button" onClick={() => void load()}>
        Refresh files
      </button>
    </div>
  );
}
