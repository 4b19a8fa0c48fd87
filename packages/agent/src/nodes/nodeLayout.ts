/**
 * A node's directory tree (semantics.md §2.10), rooted at `<dataDir>/<poolId>/<nodeId>`:
 *
 *   applications/  fsmounts/  shared/  volatile/  workitems/
 *   startup/{stdout.txt, stderr.txt, wd/}          the start task
 *
 * Pool and node ids name directories, so they must match `[A-Za-z0-9_-]` (what the server generates); anything
 * else is refused rather than sanitised, so two ids can never map to one directory.
 */
import { chmod, lstat, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

const idPattern = /^[A-Za-z0-9_-]{1,255}$/;

/** Whether an id can name a directory of the layout. */
export function isSafeId(id: string): boolean {
  return idPattern.test(id);
}

export interface NodeLayout {
  readonly root: string;
  readonly shared: string;
  readonly startup: string;
  readonly startupWorkingDirectory: string;
  readonly startupStdout: string;
  readonly startupStderr: string;
  readonly workitems: string;
  readonly applications: string;
  readonly mounts: string;
  readonly volatile: string;
}

/** The layout of a node. Throws when an id is not safe to use as a directory name. */
export function nodeLayout(dataDirectory: string, poolId: string, nodeId: string): NodeLayout {
  if (!isSafeId(poolId)) throw new Error(`The pool id '${poolId}' cannot name a directory.`);
  if (!isSafeId(nodeId)) throw new Error(`The node id '${nodeId}' cannot name a directory.`);
  const root = join(dataDirectory, poolId, nodeId);
  const startup = join(root, "startup");
  return {
    root,
    shared: join(root, "shared"),
    startup,
    startupWorkingDirectory: join(startup, "wd"),
    startupStdout: join(startup, "stdout.txt"),
    startupStderr: join(startup, "stderr.txt"),
    workitems: join(root, "workitems"),
    applications: join(root, "applications"),
    mounts: join(root, "fsmounts"),
    volatile: join(root, "volatile"),
  };
}

/** Creates the directories that are missing; existing content is kept. */
export async function createNodeDirectories(layout: NodeLayout): Promise<void> {
  for (const directory of [layout.shared, layout.startupWorkingDirectory, layout.workitems, layout.applications, layout.mounts, layout.volatile]) {
    await mkdir(directory, { recursive: true, mode: 0o755 });
  }
}

/**
 * Deletes the node's whole tree (nothing happens when it is already gone). Directories a task made read-only are
 * made writable first when the plain deletion is refused.
 */
export async function deleteNodeDirectories(layout: NodeLayout): Promise<void> {
  try {
    await rm(layout.root, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM") throw error;
    await makeWritable(layout.root);
    await rm(layout.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function makeWritable(directory: string): Promise<void> {
  const stats = await lstat(directory).catch(() => undefined);
  if (stats === undefined || !stats.isDirectory()) return;
  await chmod(directory, 0o700).catch(() => undefined);
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) await makeWritable(join(directory, entry.name));
  }
}
