/**
 * Output-file upload headers (OutputFileBlobContainerDestination.uploadHeaders): the Put Blob headers OpenBatch
 * passes to blob storage, shared by the server (checked when a task is added) and the agent (the upload). The
 * `x-ms-blob-…` spellings and the plain ones set the same blob property; `x-ms-meta-<name>` sets blob metadata.
 * Other headers are refused when the task is added rather than dropped at upload time.
 */
export const blobPropertyUploadHeaders = {
  "content-type": "blobContentType",
  "x-ms-blob-content-type": "blobContentType",
  "content-encoding": "blobContentEncoding",
  "x-ms-blob-content-encoding": "blobContentEncoding",
  "content-language": "blobContentLanguage",
  "x-ms-blob-content-language": "blobContentLanguage",
  "content-disposition": "blobContentDisposition",
  "x-ms-blob-content-disposition": "blobContentDisposition",
  "cache-control": "blobCacheControl",
  "x-ms-blob-cache-control": "blobCacheControl",
} as const;

export type BlobPropertyName = (typeof blobPropertyUploadHeaders)[keyof typeof blobPropertyUploadHeaders];

export const uploadMetadataHeaderPrefix = "x-ms-meta-";

/** Whether an output file upload header is one OpenBatch passes to blob storage. */
export function isSupportedUploadHeader(name: string): boolean {
  const lower = name.toLowerCase();
  if (Object.hasOwn(blobPropertyUploadHeaders, lower)) return true;
  // Metadata names are C# identifiers (Azure Storage's rule).
  return lower.startsWith(uploadMetadataHeaderPrefix) && /^[a-z_][a-z0-9_]*$/.test(lower.slice(uploadMetadataHeaderPrefix.length));
}
