/**
 * A transport for our client that notes, for every request, the operation of the protocol table it routes to and
 * the status the server answered, then hands the response on untouched. The every-operation suite reads it to prove
 * that each operation was answered with its success status at least once, wherever in the suite the call was made
 * (waiters and `addCollection` included), so an operation added to the table cannot be skipped unnoticed.
 */
import { operations, type OperationId } from "@openbatch/protocol";
import { NodeHttpTransport, splitUrl, type HttpTransport, type TransportRequest, type TransportResponse } from "@openbatch/client";
import { routeOf } from "./recordingServer.js";

export interface LedgerEntry {
  readonly operationId: OperationId;
  readonly status: number;
}

export class OperationLedger implements HttpTransport {
  readonly entries: LedgerEntry[] = [];
  readonly #inner: HttpTransport;

  constructor(inner: HttpTransport = new NodeHttpTransport()) {
    this.#inner = inner;
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const response = await this.#inner.send(request);
    const rawPath = splitUrl(request.url).pathAndQuery.split("?")[0] ?? "/";
    const operation = routeOf(request.method, rawPath);
    if (operation !== undefined) this.entries.push({ operationId: operation.operationId as OperationId, status: response.status });
    return response;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** The operations answered with their own success status at least once. */
  succeeded(): Set<OperationId> {
    const successStatus = new Map<string, number>(operations.map((operation) => [operation.operationId, operation.status]));
    return new Set(this.entries.filter((entry) => entry.status === successStatus.get(entry.operationId)).map((entry) => entry.operationId));
  }

  /** Every status answered for one operation, in order. */
  statusesOf(operationId: OperationId): number[] {
    return this.entries.filter((entry) => entry.operationId === operationId).map((entry) => entry.status);
  }
}
