/**
 * The Batch error-code catalogue as data: code → HTTP status and default message.
 *
 * Codes and statuses are the real service's ("Batch Status and Error Codes" REST page and BatchErrorCode.cs, as
 * summarised in shared/reference/semantics.md §12.3). Messages copy the service's wording where it is known; the rest
 * are ours and say plainly what went wrong. Codes marked `ours` do not exist in Azure Batch.
 */
export interface ErrorCodeInfo {
  readonly status: number;
  readonly message: string;
  /** True for codes OpenBatch invented: Azure Batch never sends them. */
  readonly ours?: true;
}

const BAD = 400;

export const errorCatalogue = {
  // 400 — request syntax and validation
  MissingRequiredHeader: { status: BAD, message: "A required HTTP header is missing." },
  MissingRequiredProperty: { status: BAD, message: "A required property was not specified in the request body." },
  MissingRequiredQueryParameter: {
    status: BAD,
    message: "A query parameter that's mandatory for this request is not specified.",
  },
  UnsupportedHeader: { status: BAD, message: "One of the HTTP headers specified in the request is not supported." },
  UnsupportedProperty: { status: BAD, message: "One of the properties specified in the request body is not supported." },
  UnsupportedQueryParameter: {
    status: BAD,
    message: "One of the query parameters specified in the request URI is not supported.",
  },
  UnsupportedRequestVersion: { status: BAD, message: "The specified request version is not supported." },
  InvalidHeaderValue: { status: BAD, message: "The value for one of the HTTP headers is not in the correct format." },
  InvalidPropertyValue: { status: BAD, message: "The value provided for one of the properties in the request body is invalid." },
  InvalidQueryParameterValue: {
    status: BAD,
    message: "Value for one of the query parameters specified in the request URI is invalid.",
  },
  OutOfRangeQueryParameterValue: {
    status: BAD,
    message: "A query parameter specified in the request URI is outside the permissible range.",
  },
  RequestUrlFailedToParse: { status: BAD, message: "The request URL could not be parsed." },
  InvalidUri: { status: BAD, message: "The requested URI does not represent any resource on the server." },
  InvalidHttpVerb: { status: BAD, message: "The HTTP verb specified is not recognized by the server." },
  InvalidRequestBody: { status: BAD, message: "The specified Request Body is not syntactically valid." },
  OutOfRangeInput: { status: BAD, message: "One of the request inputs is out of range." },
  InvalidInput: { status: BAD, message: "One of the request inputs is not valid." },
  InvalidAuthenticationInfo: { status: BAD, message: "The authentication information was not provided in the correct format." },
  EmptyMetadataKey: { status: BAD, message: "The key for one of the metadata key-value pairs is empty." },
  InvalidMetadata: { status: BAD, message: "One of the metadata items is not valid." },
  MetadataTooLarge: { status: BAD, message: "The size of the metadata exceeds the maximum permitted." },
  MultipleConditionHeadersNotSupported: { status: BAD, message: "Multiple condition headers are not supported." },
  InvalidAutoScalingSettings: { status: BAD, message: "The autoscale settings are not valid." },
  AutoScalingFormulaSyntaxError: { status: BAD, message: "The autoscale formula has a syntax error." },
  AutoScalingFormulaTooLong: { status: BAD, message: "The autoscale formula is too long." },
  TaskDependenciesNotSpecifiedOnJob: {
    status: BAD,
    message: "The task has dependencies but the job does not have usesTaskDependencies set.",
  },
  TaskDependencyListTooLong: { status: BAD, message: "The task dependency list is too long." },
  TaskDependencyRangesTooLong: { status: BAD, message: "The task dependency ranges are too long." },
  OutOfRangePriority: { status: BAD, message: "The priority is outside the range -1000 to 1000." },
  InvalidConstraintValue: { status: BAD, message: "One of the constraint values is not valid." },
  UnsupportedConstraint: { status: BAD, message: "One of the constraints is not supported." },

  // 403
  AuthenticationFailed: {
    status: 403,
    message: "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
  },
  InsufficientAccountPermissions: { status: 403, message: "The account does not have permission for this operation." },
  AccountIsDisabled: { status: 403, message: "The account is disabled." },

  // 404
  ResourceNotFound: { status: 404, message: "The specified resource does not exist." },
  PoolNotFound: { status: 404, message: "The specified pool does not exist." },
  NodeNotFound: { status: 404, message: "The specified node does not exist." },
  JobScheduleNotFound: { status: 404, message: "The specified job schedule does not exist." },
  JobNotFound: { status: 404, message: "The specified job does not exist." },
  TaskNotFound: { status: 404, message: "The specified task does not exist." },
  FileNotFound: { status: 404, message: "The specified file does not exist." },
  NodeUserNotFound: { status: 404, message: "The specified node user does not exist." },
  CertificateNotFound: { status: 404, message: "The specified certificate does not exist." },
  ApplicationNotFound: { status: 404, message: "The specified application does not exist." },
  NodeAgentSKUNotFound: { status: 404, message: "The specified node agent SKU does not exist." },
  JobPreparationTaskNotRunOnNode: { status: 404, message: "The job preparation task has not run on the node." },
  JobReleaseTaskNotRunOnNode: { status: 404, message: "The job release task has not run on the node." },

  // 405, 411, 413, 416
  UnsupportedHttpVerb: { status: 405, message: "The resource doesn't support the specified HTTP verb." },
  MissingContentLengthHeader: { status: 411, message: "The Content-Length header was not specified." },
  RequestBodyTooLarge: { status: 413, message: "The request body is too large and exceeds the maximum permissible limit." },
  InvalidRange: { status: 416, message: "The range specified is invalid for the current size of the resource." },

  // 409
  PoolExists: { status: 409, message: "The specified pool already exists." },
  JobExists: { status: 409, message: "The specified job already exists." },
  JobScheduleExists: { status: 409, message: "The specified job schedule already exists." },
  TaskExists: { status: 409, message: "The specified task already exists." },
  NodeUserExists: { status: 409, message: "The specified node user already exists." },
  CertificateExists: { status: 409, message: "The specified certificate already exists." },
  JobWithSameIdExists: { status: 409, message: "A job with the same id exists." },
  JobScheduleWithSameIdExists: { status: 409, message: "A job schedule with the same id exists." },
  PoolBeingDeleted: { status: 409, message: "The specified pool has been marked for deletion and is being reclaimed." },
  PoolBeingResized: { status: 409, message: "The specified pool is currently being resized." },
  PoolBeingCreated: { status: 409, message: "The specified pool is being created." },
  NodeBeingCreated: { status: 409, message: "The specified node is being created." },
  NodeBeingStarted: { status: 409, message: "The specified node is being started." },
  NodeBeingRebooted: { status: 409, message: "The specified node is being rebooted." },
  NodeBeingReimaged: { status: 409, message: "The specified node is being reimaged." },
  NodeStateUnusable: { status: 409, message: "The specified node is unusable." },
  NodeAlreadyInTargetSchedulingState: { status: 409, message: "The node is already in the target scheduling state." },
  OperationNotValidOnNode: { status: 409, message: "The operation is not valid on the node in its current state." },
  OperationNotValidOnPool: { status: 409, message: "The operation is not valid on the pool in its current state." },
  OperationInvalidForCurrentState: { status: 409, message: "The operation is not valid for the current state of the resource." },
  JobBeingTerminated: { status: 409, message: "The specified job is being terminated." },
  JobBeingDeleted: { status: 409, message: "The specified job has been marked for deletion and is being reclaimed." },
  JobDisabled: { status: 409, message: "The specified job is disabled." },
  JobCompleted: { status: 409, message: "The specified job is already in a completed state." },
  JobNotActive: { status: 409, message: "The specified job is not active." },
  JobScheduleBeingTerminated: { status: 409, message: "The specified job schedule is being terminated." },
  JobScheduleBeingDeleted: { status: 409, message: "The specified job schedule has been marked for deletion." },
  JobScheduleDisabled: { status: 409, message: "The specified job schedule is disabled." },
  JobScheduleCompleted: { status: 409, message: "The specified job schedule is already in a completed state." },
  TaskCompleted: { status: 409, message: "The specified task is already completed." },
  TaskNotCompleted: { status: 409, message: "The specified task is not completed." },
  TaskSucceeded: { status: 409, message: "The specified task has already succeeded." },
  TaskFilesUnavailable: { status: 409, message: "The files of the specified task are unavailable." },
  TaskFilesCleanedup: { status: 409, message: "The files of the specified task have been cleaned up." },
  TaskIdSameAsJobPreparationTask: { status: 409, message: "The task id is the same as that of the job preparation task." },
  TaskIdSameAsJobReleaseTask: { status: 409, message: "The task id is the same as that of the job release task." },
  JobPreparationTaskNotSpecified: { status: 409, message: "The job does not have a job preparation task." },
  JobReleaseTaskNotSpecified: { status: 409, message: "The job does not have a job release task." },
  ActiveJobAndScheduleQuotaReached: { status: 409, message: "Active job and schedule quota for the account has been reached." },
  PoolQuotaReached: { status: 409, message: "Pool quota for the account has been reached." },
  InvalidApplicationPackageReferences: { status: 409, message: "One or more application package references are invalid." },
  CertificateBeingDeleted: { status: 409, message: "The specified certificate is being deleted." },
  CertificateStateActive: { status: 409, message: "The specified certificate is in active state." },

  // 304 / 412
  ConditionNotMet: { status: 412, message: "The condition specified using HTTP conditional header(s) is not met." },

  // 5xx
  InternalError: { status: 500, message: "The server encountered an internal error. Please retry the request." },
  OperationTimedOut: { status: 500, message: "The operation could not be completed within the permitted time." },
  ServerBusy: { status: 503, message: "The server is currently unable to receive requests. Please retry your request." },
  TooManyEnableAutoScaleRequests: { status: 503, message: "Too many enable autoscale requests; retry later." },
  NotImplemented: { status: 501, message: "OpenBatch does not implement this operation yet.", ours: true },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalogue, code);
}
