/**
 * A real Azurite blob server for a test: `azurite-blob` (the root devDependency `azurite`) on 127.0.0.1 and a port
 * it picks itself (it prints the one it listens on), data in memory, its working directory a temp directory removed
 * on stop. The well-known development account `devstoreaccount1` and its public key are the credentials.
 *
 *   const azurite = await startAzurite();
 *   const container = await azurite.createContainer("logs");
 *   const sasUrl = azurite.containerSasUrl("logs", "racwl");
 *   …
 *   await azurite.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
} from "@azure/storage-blob";

/** Azurite's documented development account. */
export const azuriteAccount = {
  name: "devstoreaccount1",
  key: "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
} as const;

export interface Azurite {
  /** `http://127.0.0.1:PORT/devstoreaccount1` */
  readonly blobEndpoint: string;
  readonly credential: StorageSharedKeyCredential;
  readonly service: BlobServiceClient;
  /** Creates a container (shared-key authenticated) and returns its client. */
  createContainer(name: string): Promise<ContainerClient>;
  /** A container SAS URL with these permissions (letters of `racwdl…`), valid from 5 minutes ago for `validForInMs`. */
  containerSasUrl(container: string, permissions: string, validForInMs?: number): string;
  /** Every blob name in the container (flat listing). */
  listBlobNames(container: string, prefix?: string): Promise<string[]>;
  /** A blob's content as UTF-8. */
  readBlob(container: string, name: string): Promise<string>;
  /** Stops the server and removes its workspace. */
  stop(): Promise<void>;
}

function azuriteBlobMain(): string {
  const packageJson = fileURLToPath(import.meta.resolve("azurite/package.json"));
  return join(dirname(packageJson), "dist", "src", "blob", "main.js");
}

function waitForPort(child: ChildProcess, timeoutInMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => done(new Error(`azurite-blob did not start within ${timeoutInMs} ms:\n${output}`)), timeoutInMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /successfully listens on https?:\/\/[^:\s]+:(\d+)/.exec(output);
      if (match !== null) done(undefined, Number(match[1]));
    };
    const onExit = (code: number | null) => done(new Error(`azurite-blob exited (${code}) before listening:\n${output}`));
    function done(error: Error | undefined, port?: number) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      if (error !== undefined) reject(error);
      else resolve(port as number);
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

export async function startAzurite(options: { timeoutInMs?: number } = {}): Promise<Azurite> {
  const workspace = mkdtempSync(join(tmpdir(), "openbatch-azurite-"));
  const child = spawn(
    process.execPath,
    [
      azuriteBlobMain(),
      "--blobHost", "127.0.0.1",
      "--blobPort", "0",
      // Data in memory; --location cannot be combined with it, so the temp workspace is the working directory.
      "--inMemoryPersistence",
      "--skipApiVersionCheck",
      "--loose",
      "--disableTelemetry",
      "--silent",
    ],
    { cwd: workspace, stdio: ["ignore", "pipe", "pipe"] },
  );
  let port: number;
  try {
    port = await waitForPort(child, options.timeoutInMs ?? 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(workspace, { recursive: true, force: true });
    throw error;
  }
  // Keep draining its output (access logs) so the pipe never fills.
  child.stdout?.resume();
  child.stderr?.resume();
  const blobEndpoint = `http://127.0.0.1:${port}/${azuriteAccount.name}`;
  const credential = new StorageSharedKeyCredential(azuriteAccount.name, azuriteAccount.key);
  const service = new BlobServiceClient(blobEndpoint, credential);
  let stopping: Promise<void> | undefined;
  return {
    blobEndpoint,
    credential,
    service,
    async createContainer(name) {
      const container = service.getContainerClient(name);
      await container.create();
      return container;
    },
    containerSasUrl(container, permissions, validForInMs = 60 * 60 * 1000) {
      const now = Date.now();
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          permissions: ContainerSASPermissions.parse(permissions),
          startsOn: new Date(now - 5 * 60 * 1000),
          expiresOn: new Date(now + validForInMs),
        },
        credential,
      );
      return `${blobEndpoint}/${container}?${sas.toString()}`;
    },
    async listBlobNames(container, prefix) {
      const names: string[] = [];
      for await (const blob of service.getContainerClient(container).listBlobsFlat(prefix === undefined ? {} : { prefix })) names.push(blob.name);
      return names;
    },
    async readBlob(container, name) {
      const buffer = await service.getContainerClient(container).getBlobClient(name).downloadToBuffer();
      return buffer.toString("utf8");
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(workspace, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
