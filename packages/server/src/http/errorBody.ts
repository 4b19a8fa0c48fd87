/**
 * The Batch error body (rest-api.md §1.7), the one shape every failed request answers with:
 * `{"odata.metadata", "code", "message": {"lang", "value"}, "values": [{"key", "value"}]}`; the message value ends
 * with the request id and time, as the service's do.
 */
import { formatTimestamp, type ErrorDetail } from "@openbatch/core";

export interface BatchErrorBody {
  readonly "odata.metadata": string;
  readonly code: string;
  readonly message: { readonly lang: "en-US"; readonly value: string };
  readonly values?: readonly ErrorDetail[];
}

export function batchErrorBody(
  baseUrl: string,
  code: string,
  message: string,
  requestId: string,
  now: Date,
  values: readonly ErrorDetail[],
): BatchErrorBody {
  return {
    "odata.metadata": `${baseUrl}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element`,
    code,
    message: { lang: "en-US", value: `${message}\nRequestId:${requestId}\nTime:${formatTimestamp(now)}` },
    ...(values.length > 0 ? { values } : {}),
  };
}
