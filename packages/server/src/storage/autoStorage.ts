/**
 * The server's auto-storage account (ResourceFile.autoStorageContainerName, semantics.md §10.1): configured as a
 * storage connection string with an account key, which stays on the server. When the server hands a task's or
 * start task's resource files to an agent, each `autoStorageContainerName` becomes a `storageContainerUrl` with a
 * read + list container SAS, so agents never hold account keys.
 *
 * The SAS window is aligned to whole hours (valid from 5 minutes before the hour it was issued in until
 * `sasValidityInHours` after it): the same container resolves to the same URL for an hour, which keeps the
 * desired state an agent long-polls on stable, and a URL handed out is valid for at least `sasValidityInHours - 1`
 * hours.
 */
import { BlobServiceClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from "@azure/storage-blob";
import type { ResourceFile } from "@openbatch/protocol";

export interface AutoStorageOptions {
  /** A storage connection string with `AccountName` and `AccountKey` (and `BlobEndpoint` for Azurite or sovereign clouds). */
  readonly connectionString: string;
  /** How long a container SAS handed to an agent stays valid. @default 24 */
  readonly sasValidityInHours?: number;
}

export interface AutoStorage {
  /** A read + list SAS URL for the container, as of `now`. */
  containerSasUrl(containerName: string, now: Date): string;
  /** The files with every `autoStorageContainerName` replaced by a SAS `storageContainerUrl`. */
  resolveResourceFiles(files: readonly ResourceFile[], now: Date): ResourceFile[];
}

const hourInMs = 3_600_000;

/** Throws an Error a person can act on when the connection string has no account key. */
export function createAutoStorage(options: AutoStorageOptions): AutoStorage {
  let service: BlobServiceClient;
  try {
    service = BlobServiceClient.fromConnectionString(options.connectionString);
  } catch (error) {
    throw new Error(`The auto-storage connection string is not valid: ${(error as Error).message}`);
  }
  const credential = service.credential;
  if (!(credential instanceof StorageSharedKeyCredential)) {
    throw new Error("The auto-storage connection string needs an AccountName and AccountKey: the server signs container SAS URLs with the key.");
  }
  const validityInMs = (options.sasValidityInHours ?? 24) * hourInMs;
  const containerSasUrl = (containerName: string, now: Date): string => {
    const hour = Math.floor(now.getTime() / hourInMs) * hourInMs;
    const sas = generateBlobSASQueryParameters(
      {
        containerName,
        permissions: ContainerSASPermissions.parse("rl"),
        startsOn: new Date(hour - 5 * 60_000),
        expiresOn: new Date(hour + validityInMs),
      },
      credential,
    );
    return `${service.getContainerClient(containerName).url}?${sas.toString()}`;
  };
  return {
    containerSasUrl,
    resolveResourceFiles(files, now) {
      return files.map((file) => {
        if (file.autoStorageContainerName === undefined) return file;
        const { autoStorageContainerName, ...rest } = file;
        return { ...rest, storageContainerUrl: containerSasUrl(autoStorageContainerName, now) };
      });
    },
  };
}
