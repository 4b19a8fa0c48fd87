/**
 * The resource samples a node's report carries (AgentNodeReport.resources, docs/statistics.md): every
 * `intervalInMs`, the resident memory of the processes of each node (its process groups still running, from one
 * pass over /proc for all nodes) and the bytes of the files under its directory tree (a walk that follows no
 * symbolic link and counts each file once however many hard links it has). The server folds them into the pool's
 * statistics (average and peak memory and disk).
 */
import { lstat, opendir } from "node:fs/promises";
import { join } from "node:path";
import { sampleGroups } from "./procfs.js";

export interface NodeResourceSample {
  readonly memoryBytes: number;
  readonly diskBytes: number;
}

/** What the sampler needs of a node. */
export interface SampledNode {
  readonly nodeId: string;
  /** Its directory tree, or undefined while it has none (removed, being removed). */
  readonly root: string | undefined;
  /** The process groups it started whose processes may still run. */
  readonly processGroups: ReadonlySet<number>;
}

/** Bytes of the regular files under `root`; 0 when it does not exist. */
export async function directoryBytes(root: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  const walk = async (directory: string): Promise<void> => {
    let handle;
    try {
      handle = await opendir(directory);
    } catch {
      return;
    }
    for await (const entry of handle) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.isFile()) {
        const stats = await lstat(path).catch(() => undefined);
        if (stats === undefined) continue;
        const key = `${stats.dev}:${stats.ino}`;
        if (stats.nlink > 1) {
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += stats.size;
      }
    }
  };
  await walk(root);
  return total;
}

export class NodeResourceSampler {
  private readonly latest = new Map<string, NodeResourceSample>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly nodes: () => readonly SampledNode[],
    private readonly intervalInMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sample(), this.intervalInMs).unref();
    void this.sample();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The node's latest sample, if one was taken. */
  sampleOf(nodeId: string): NodeResourceSample | undefined {
    return this.latest.get(nodeId);
  }

  /** Samples every node now (a pass under way is not doubled). */
  sample(): Promise<void> {
    this.running ??= (async () => {
      try {
        const nodes = this.nodes();
        const groups = new Set(nodes.flatMap((node) => [...node.processGroups]));
        const memory = await sampleGroups(groups, { io: false });
        const present = new Set<string>();
        for (const node of nodes) {
          present.add(node.nodeId);
          if (node.root === undefined) {
            this.latest.delete(node.nodeId);
            continue;
          }
          const memoryBytes = [...node.processGroups].reduce((sum, group) => sum + (memory.get(group)?.memoryBytes ?? 0), 0);
          this.latest.set(node.nodeId, { memoryBytes, diskBytes: await directoryBytes(node.root) });
        }
        for (const nodeId of this.latest.keys()) if (!present.has(nodeId)) this.latest.delete(nodeId);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
