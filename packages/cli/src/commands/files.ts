/**
 * `… file list|show|download|delete`, the same four commands for a task's files (`task file`) and a node's
 * (`node file`), as az has them: `--file-path` names the file, `download --destination` writes it (`-` for
 * stdout) with `--start-range`/`--end-range` for a byte range.
 */
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { toArray, type FileDownload, type FilePropertiesResult, type NodeFile, type PagedAsyncIterableIterator } from "@openbatch/client";
import { flags, requireOptions } from "../framework/body.js";
import { UsageError } from "../framework/errors.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { compact, wholeNumber } from "../framework/parse.js";
import { fileRows } from "./tables.js";

export interface FileOwner {
  /** "task" or "node", for messages. */
  readonly noun: string;
  readonly ids: readonly [string, string];
  list(invocation: Invocation, options: { recursive?: boolean; filter?: string }): PagedAsyncIterableIterator<NodeFile>;
  get(invocation: Invocation, path: string, options: { ocpRange?: string; ifModifiedSince?: Date | string; ifUnmodifiedSince?: Date | string }): Promise<FileDownload>;
  properties(invocation: Invocation, path: string, options: { ifModifiedSince?: Date | string; ifUnmodifiedSince?: Date | string }): Promise<FilePropertiesResult>;
  remove(invocation: Invocation, path: string, options: { recursive?: boolean }): Promise<unknown>;
}

interface FileFlags {
  filePath?: string;
  destination?: string;
  startRange?: number;
  endRange?: number;
  recursive?: boolean;
}

/** A range header from the flags, or undefined for the whole file. */
function range(options: FileFlags): string | undefined {
  if (options.startRange === undefined && options.endRange === undefined) return undefined;
  const start = options.startRange ?? 0;
  if (options.endRange !== undefined && options.endRange < start) throw new UsageError("--end-range must not be below --start-range.");
  return `bytes=${start}-${options.endRange ?? ""}`;
}

/** File properties as az shows them (its HEAD_PROPERTIES names). */
function properties(result: FilePropertiesResult): Record<string, unknown> {
  return compact({
    url: result.ocpBatchFileUrl === undefined ? undefined : decodeURIComponent(result.ocpBatchFileUrl),
    isDirectory: result.ocpBatchFileIsdirectory,
    creationTime: result.ocpCreationTime,
    lastModified: result.lastModified,
    contentLength: result.contentLength,
    contentType: result.contentType,
    fileMode: result.ocpBatchFileMode,
  });
}

const dateConditions = (invocation: Invocation) => {
  const { ifModifiedSince, ifUnmodifiedSince } = invocation.conditions();
  return compact({ ifModifiedSince, ifUnmodifiedSince });
};

export function addFileCommands(parent: Command, owner: FileOwner): void {
  const file = parent.command("file").description(`Manage the files of a ${owner.noun}.`);
  const filePath = (command: Command) => command.option("--file-path <path>", `the file's path relative to the ${owner.noun}'s directory (e.g. stdout.txt, wd/out.txt)`);

  leaf(file, "list", `List the files of a ${owner.noun}.`)
    .ids(...owner.ids)
    .listQuery("filter")
    .options((command) => command.option("--recursive", "list the files of subdirectories too"))
    .table(fileRows)
    .action((invocation) => {
      const { filter } = invocation.listOptions();
      return toArray(owner.list(invocation, compact({ recursive: flags<FileFlags>(invocation).recursive, filter })));
    });

  leaf(file, "show", `Get the properties of a ${owner.noun}'s file.`)
    .ids(...owner.ids)
    .options(filePath)
    .action(async (invocation) => {
      requireOptions(invocation, "filePath");
      return properties(await owner.properties(invocation, flags<FileFlags>(invocation).filePath as string, dateConditions(invocation)));
    });

  leaf(file, "download", `Download a ${owner.noun}'s file.`)
    .ids(...owner.ids)
    .options((command) =>
      filePath(command)
        .option("--destination <path>", "where to write it; - for stdout")
        .option("--start-range <byte>", "the first byte to download", wholeNumber)
        .option("--end-range <byte>", "the last byte to download", wholeNumber),
    )
    .action(async (invocation) => {
      requireOptions(invocation, "filePath", "destination");
      const options = flags<FileFlags>(invocation);
      const ocpRange = range(options);
      const download = await owner.get(invocation, options.filePath as string, compact({ ocpRange, ...dateConditions(invocation) }));
      const destination = options.destination as string;
      if (destination === "-") await pipeline(download.readableStreamBody, process.stdout, { end: false });
      else await pipeline(download.readableStreamBody, createWriteStream(destination));
      return undefined;
    });

  leaf(file, "delete", `Delete a ${owner.noun}'s file (or directory, with --recursive).`)
    .ids(...owner.ids)
    .options((command) => filePath(command).option("--recursive", "delete a directory and everything in it"))
    .confirm(() => `The file will be deleted.`)
    .action(async (invocation) => {
      requireOptions(invocation, "filePath");
      const options = flags<FileFlags>(invocation);
      await owner.remove(invocation, options.filePath as string, compact({ recursive: options.recursive }));
      return undefined;
    });
}
