/**
 * The file API's expected errors: each carries the HTTP status and the code the file server answers with as
 * `{code, message}` JSON. Codes follow the Batch service where one exists (`FileNotFound`, `InvalidRange`,
 * `NodeNotFound`); the others are this API's own.
 */
export type FileApiErrorCode =
  | "FileNotFound"
  | "InvalidFilePath"
  | "InvalidRange"
  | "NodeNotFound"
  | "DirectoryNotEmpty"
  | "NotADirectory"
  | "AuthenticationFailed"
  | "ResourceNotFound"
  | "UnsupportedHttpVerb";

const statuses: Record<FileApiErrorCode, number> = {
  FileNotFound: 404,
  InvalidFilePath: 400,
  InvalidRange: 416,
  NodeNotFound: 404,
  DirectoryNotEmpty: 409,
  NotADirectory: 400,
  AuthenticationFailed: 401,
  ResourceNotFound: 404,
  UnsupportedHttpVerb: 405,
};

export class FileApiError extends Error {
  override readonly name = "FileApiError";
  readonly status: number;
  constructor(
    readonly code: FileApiErrorCode,
    message: string,
  ) {
    super(message);
    this.status = statuses[code];
  }
}
