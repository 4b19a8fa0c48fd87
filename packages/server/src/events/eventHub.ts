/**
 * The event stream's memory: per account, a ring buffer of the last `bufferSize` committed entity changes, each
 * already formatted as a Server-Sent Events frame, and the subscribers reading it.
 *
 * A subscriber is only a cursor into its account's ring and a filter: events are never copied per subscriber, so a
 * subscriber costs the same whether it is idle or far behind, and a slow one is simply written to when its socket
 * drains. One that falls out of the ring (more than `bufferSize` events behind, or resuming from an id this server
 * never issued) gets a `reset` event — "re-read what you show" — and continues from the present.
 *
 * Event ids are `<epoch>.<sequence>`: the epoch names this server process, so an id from before a restart is
 * recognised as unknown rather than mistaken for a position in the new sequence.
 */
import { randomBytes } from "node:crypto";
import { idKey } from "@openbatch/core";
import { parentName, summarize, type EntityChange } from "./entityChanges.js";

export interface EventFilter {
  /** Only the job and its tasks. */
  readonly jobId?: string | undefined;
  /** Only the pool and its nodes. */
  readonly poolId?: string | undefined;
}

/** Where a subscriber's frames go (an HTTP response). */
export interface EventSink {
  /** Queues text; false when the socket's buffer is full (wait for `onDrain` before writing more). */
  write(text: string): boolean;
  onDrain(listener: () => void): void;
  end(): void;
}

export interface EventHubOptions {
  /** Events kept per account for `Last-Event-ID` resumption. @default 20000 */
  readonly bufferSize?: number;
  /** Seconds between keep-alive frames (which also carry the subscriber's resume id). @default 15 */
  readonly heartbeatInSeconds?: number;
  /** Subscribers the server accepts at once, over all accounts. @default 1000 */
  readonly maxSubscribers?: number;
}

interface BufferedEvent {
  readonly kind: string;
  readonly idKey: string;
  readonly scopeKey: string;
  /** The event's JSON; its SSE frame is made when first sent. */
  readonly json: string;
  frame?: string;
}

class AccountStream {
  private readonly ring: (BufferedEvent | undefined)[];
  /** Sequence number of the oldest event still held. */
  first = 1;
  /** Sequence number the next event gets. */
  next = 1;
  readonly subscribers = new Set<Subscription>();

  constructor(private readonly capacity: number) {
    this.ring = new Array<BufferedEvent | undefined>(capacity);
  }

  push(event: BufferedEvent): void {
    const seq = this.next++;
    this.ring[seq % this.capacity] = event;
    if (this.next - this.first > this.capacity) this.first = this.next - this.capacity;
  }

  at(seq: number): BufferedEvent {
    return this.ring[seq % this.capacity] as BufferedEvent;
  }
}

function matches(event: BufferedEvent, filter: { jobKey?: string; poolKey?: string }): boolean {
  if (filter.jobKey === undefined && filter.poolKey === undefined) return true;
  if (filter.jobKey !== undefined && ((event.kind === "job" && event.idKey === filter.jobKey) || (event.kind === "task" && event.scopeKey === filter.jobKey))) return true;
  if (filter.poolKey !== undefined && ((event.kind === "pool" && event.idKey === filter.poolKey) || (event.kind === "node" && event.scopeKey === filter.poolKey))) return true;
  return false;
}

export class Subscription {
  private cursor: number;
  private waiting = false;
  private closed = false;
  private readonly filter: { jobKey?: string; poolKey?: string };

  constructor(
    private readonly hub: EventHub,
    private readonly stream: AccountStream,
    filter: EventFilter,
    private readonly sink: EventSink,
    start: number,
  ) {
    this.cursor = start;
    this.filter = {
      ...(filter.jobId === undefined ? {} : { jobKey: idKey(filter.jobId) }),
      ...(filter.poolId === undefined ? {} : { poolKey: idKey(filter.poolId) }),
    };
  }

  /** Writes every buffered event past the cursor that passes the filter, until the socket pushes back. */
  pump(): void {
    if (this.waiting || this.closed) return;
    const stream = this.stream;
    if (this.cursor < stream.first) {
      this.cursor = stream.next;
      if (!this.send(`id: ${this.hub.idOf(stream.next - 1)}\nevent: reset\ndata: {"reason":"behind"}\n\n`)) return;
    }
    let chunk = "";
    while (this.cursor < stream.next) {
      const seq = this.cursor++;
      const event = stream.at(seq);
      if (!matches(event, this.filter)) continue;
      chunk += event.frame ??= `id: ${this.hub.idOf(seq)}\nevent: change\ndata: ${event.json}\n\n`;
      if (chunk.length >= 65536) {
        if (!this.send(chunk)) return;
        chunk = "";
      }
    }
    if (chunk !== "") this.send(chunk);
  }

  /** Skips to the present with a `reset` event (EventHub.resetAll). */
  reset(reason: string): void {
    if (this.closed) return;
    if (this.waiting) {
      // Behind the ring's start: the pump after the drain sends the reset.
      this.cursor = this.stream.first - 1;
      return;
    }
    this.cursor = this.stream.next;
    this.send(`id: ${this.hub.idOf(this.stream.next - 1)}\nevent: reset\ndata: ${JSON.stringify({ reason })}\n\n`);
  }

  /** A keep-alive that also moves the client's resume id past events its filter skipped. */
  heartbeat(): void {
    if (this.waiting || this.closed) return;
    this.send(`id: ${this.hub.idOf(this.cursor - 1)}\n\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.subscribers.delete(this);
    this.hub.forget(this);
    this.sink.end();
  }

  private send(text: string): boolean {
    if (this.sink.write(text)) return true;
    this.waiting = true;
    this.sink.onDrain(() => {
      this.waiting = false;
      this.pump();
    });
    return false;
  }
}

export class TooManySubscribers extends Error {}

/** An event's JSON as subscribers get it: kind, change, parent id, id, summary, ETag and time. */
export interface EventData {
  readonly kind: EntityChange["kind"];
  readonly change: EntityChange["change"];
  readonly poolId?: string;
  readonly jobId?: string;
  readonly id?: string;
  readonly [summary: string]: unknown;
}

/** The data of one change's event (summarised from its body). */
export function eventData(change: EntityChange): EventData {
  const parent = parentName(change.kind);
  return {
    kind: change.kind,
    change: change.change,
    ...(parent === undefined ? {} : { [parent]: change.scope }),
    ...(change.id === undefined ? {} : { id: change.id }),
    ...(change.body === undefined ? {} : summarize(change.kind, change.body)),
    ...(change.eTag === undefined ? {} : { eTag: change.eTag, lastModified: change.lastModified?.toISOString() }),
  };
}

export class EventHub {
  /** Names this server process in event ids. */
  readonly epoch = randomBytes(6).toString("hex");
  private readonly streams = new Map<string, AccountStream>();
  private readonly all = new Set<Subscription>();
  private readonly bufferSize: number;
  private readonly maxSubscribers: number;
  private readonly timer: NodeJS.Timeout;

  constructor(options: EventHubOptions = {}) {
    this.bufferSize = options.bufferSize ?? 20_000;
    this.maxSubscribers = options.maxSubscribers ?? 1000;
    if (!Number.isInteger(this.bufferSize) || this.bufferSize < 1) throw new RangeError("eventBufferSize must be a positive integer");
    this.timer = setInterval(() => {
      for (const subscription of this.all) subscription.heartbeat();
    }, (options.heartbeatInSeconds ?? 15) * 1000);
    this.timer.unref();
  }

  idOf(seq: number): string {
    return `${this.epoch}.${seq}`;
  }

  get subscriberCount(): number {
    return this.all.size;
  }

  private stream(account: string): AccountStream {
    let stream = this.streams.get(account);
    if (stream === undefined) this.streams.set(account, (stream = new AccountStream(this.bufferSize)));
    return stream;
  }

  /**
   * Appends committed changes (a StoreObserver's `committed`) and wakes the subscribers of their accounts. An
   * account nobody has subscribed to since this server started is skipped: no one can hold an event id of it to
   * resume from, so there is nothing to keep (and writes cost no formatting).
   */
  publish(changes: ReadonlyMap<string, readonly EntityChange[]>): void {
    for (const [account, list] of changes) {
      if (this.streams.has(account)) this.publishEvents(account, list.map(eventData));
    }
  }

  /**
   * Appends events already made into data (`eventData`): those of this server's commits, or with replicas those of
   * every replica's, as they arrive from the database in commit order (cluster/replica.ts).
   */
  publishEvents(account: string, events: readonly EventData[]): void {
    const stream = this.streams.get(account);
    if (stream === undefined) return;
    for (const data of events) {
      const scope = data.poolId ?? data.jobId ?? "";
      stream.push({ kind: data.kind, idKey: data.id === undefined ? "" : idKey(data.id), scopeKey: idKey(scope), json: JSON.stringify(data) });
    }
    for (const subscription of stream.subscribers) subscription.pump();
  }

  /**
   * Tells every subscriber to re-read (a `reset` event) and continue from the present: changes may have been
   * missed (with replicas, while the connection that brings them was down).
   */
  resetAll(reason: string): void {
    for (const stream of this.streams.values()) {
      stream.first = stream.next;
      for (const subscription of stream.subscribers) subscription.reset(reason);
    }
  }

  /**
   * Starts a subscriber: after `lastEventId` when this server issued it and still holds what followed, else from the
   * present (with a `reset` first when a resume point was given but is lost).
   */
  subscribe(account: string, filter: EventFilter, lastEventId: string | undefined, sink: EventSink): Subscription {
    if (this.all.size >= this.maxSubscribers) throw new TooManySubscribers(`at most ${this.maxSubscribers} event subscribers`);
    const stream = this.stream(account);
    const resume = this.resumePoint(stream, lastEventId);
    const start = resume ?? stream.next;
    const subscription = new Subscription(this, stream, filter, sink, start);
    stream.subscribers.add(subscription);
    this.all.add(subscription);
    const lost = lastEventId !== undefined && lastEventId !== "" && resume === undefined;
    sink.write(`retry: 1000\nid: ${this.idOf(start - 1)}\nevent: ${lost ? "reset" : "ready"}\ndata: {"epoch":"${this.epoch}"${lost ? ',"reason":"unknownLastEventId"' : ""}}\n\n`);
    subscription.pump();
    return subscription;
  }

  forget(subscription: Subscription): void {
    this.all.delete(subscription);
  }

  /** Ends every subscriber's stream (the server is closing). */
  close(): void {
    clearInterval(this.timer);
    for (const subscription of [...this.all]) subscription.close();
  }

  private resumePoint(stream: AccountStream, lastEventId: string | undefined): number | undefined {
    const match = /^([0-9a-f]+)\.(\d{1,15})$/.exec(lastEventId ?? "");
    if (match === null || match[1] !== this.epoch) return undefined;
    const seq = Number(match[2]);
    if (seq >= stream.next || seq + 1 < stream.first) return undefined;
    return seq + 1;
  }
}
