/**
 * A Server-Sent Events parser following the HTML standard's "interpreting an event stream": lines end in CRLF, LF
 * or CR; `data` lines join with "\n"; `id` sets the stream's last event id even on a frame without data (the server
 * uses that to move a filtered watcher's resume point); `retry` sets the reconnection delay; comments are ignored.
 */
export interface SseMessage {
  /** The `event` field, "message" when absent. */
  readonly type: string;
  readonly data: string;
  /** The stream's last event id when the message was dispatched. */
  readonly lastEventId: string;
}

export class SseParser {
  /** The last event id seen, which a reconnection sends as `Last-Event-ID`. */
  lastEventId = "";
  /** The reconnection delay the server asked for, in ms. */
  retryInMs: number | undefined;
  #pending = "";
  #type = "";
  #data: string[] = [];
  #idBuffer: string | undefined;

  /** Feeds decoded text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    const messages: SseMessage[] = [];
    let buffer = this.#pending + text;
    for (;;) {
      const end = buffer.search(/[\r\n]/);
      if (end < 0) break;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (buffer[end] === "\r" && end === buffer.length - 1) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(buffer[end] === "\r" && buffer[end + 1] === "\n" ? end + 2 : end + 1);
      const message = this.#line(line);
      if (message !== undefined) messages.push(message);
    }
    this.#pending = buffer;
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#type = value;
        break;
      case "data":
        this.#data.push(value);
        break;
      case "id":
        if (!value.includes("\u0000")) this.#idBuffer = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryInMs = Number(value);
        break;
    }
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    if (this.#idBuffer !== undefined) this.lastEventId = this.#idBuffer;
    const type = this.#type === "" ? "message" : this.#type;
    const data = this.#data;
    this.#type = "";
    this.#data = [];
    if (data.length === 0) return undefined;
    return { type, data: data.join("\n"), lastEventId: this.lastEventId };
  }
}
