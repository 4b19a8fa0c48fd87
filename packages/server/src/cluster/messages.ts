/**
 * What replicas tell each other through the database (`WriteTx.notify` inside transactions, PgCoordination.notify
 * outside), as NOTIFY payloads: JSON, each within PostgreSQL's payload limit, naming the replica that sent it.
 *
 * - `effect`: an after-commit effect of a committed transaction (effects/effects.ts), for the replica that leads
 *   the account (loop wake-ups) or every replica (agents long-polling on a pool);
 * - `events`: the event-stream data of a transaction's entity changes for one account, in the order they were made
 *   (several messages when they do not fit in one);
 * - `released`: a replica let go of accounts (it is stopping): the others compete at once;
 * - `barrier`: sent by a replica to itself; when it comes back, every message committed before it has arrived.
 */
import { maxNotifyBytes } from "@openbatch/store";
import type { Effect } from "../effects/effects.js";
import type { EventData } from "../events/eventHub.js";

export type ClusterMessage =
  | { readonly type: "effect"; readonly from: string; readonly effect: Effect }
  | { readonly type: "events"; readonly from: string; readonly account: string; readonly events: readonly EventData[] }
  | { readonly type: "released"; readonly from: string; readonly accounts: readonly string[] }
  | { readonly type: "barrier"; readonly from: string; readonly id: number };

export function encodeMessage(message: ClusterMessage): string {
  const text = JSON.stringify(message);
  if (Buffer.byteLength(text, "utf8") > maxNotifyBytes) throw new RangeError(`A ${message.type} message does not fit in one notification`);
  return text;
}

/**
 * The events of one account's changes as messages, each within the payload limit, in order. One event too large
 * for a message on its own (it cannot be: ids are at most 64 characters) would be dropped rather than fail the
 * transaction that made it.
 */
export function encodeEvents(from: string, account: string, events: readonly EventData[]): string[] {
  const head = JSON.stringify({ type: "events", from, account, events: [] }).length;
  const messages: string[] = [];
  let batch: string[] = [];
  let size = head;
  const flush = () => {
    if (batch.length === 0) return;
    messages.push(`{"type":"events","from":${JSON.stringify(from)},"account":${JSON.stringify(account)},"events":[${batch.join(",")}]}`);
    batch = [];
    size = head;
  };
  for (const event of events) {
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json, "utf8") + 1;
    if (head + bytes > maxNotifyBytes) continue;
    if (size + bytes > maxNotifyBytes) flush();
    batch.push(json);
    size += bytes;
  }
  flush();
  return messages;
}

/** The message a payload carries, or undefined for one that is not a replica's (ignored). */
export function decodeMessage(payload: string): ClusterMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const message = value as Record<string, unknown>;
  if (typeof message["from"] !== "string") return undefined;
  switch (message["type"]) {
    case "effect":
      return typeof message["effect"] === "object" && message["effect"] !== null && typeof (message["effect"] as { kind?: unknown }).kind === "string"
        ? (message as unknown as ClusterMessage)
        : undefined;
    case "events":
      return typeof message["account"] === "string" && Array.isArray(message["events"]) ? (message as unknown as ClusterMessage) : undefined;
    case "released":
      return Array.isArray(message["accounts"]) ? (message as unknown as ClusterMessage) : undefined;
    case "barrier":
      return typeof message["id"] === "number" ? (message as unknown as ClusterMessage) : undefined;
    default:
      return undefined;
  }
}
