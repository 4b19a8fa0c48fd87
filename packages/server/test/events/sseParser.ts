/**
 * Reads the hub's frames for these tests: each frame is `field: value` lines ended by a blank line (the server
 * writes only `id`, `event`, `data` and `retry` lines, one data line per event). A frame without data only moves
 * the last event id, as in the SSE standard.
 */
export class SseParser {
  lastEventId = "";

  push(text: string): { type: string; data: string; lastEventId: string }[] {
    const messages: { type: string; data: string; lastEventId: string }[] = [];
    for (const frame of text.split("\n\n")) {
      if (frame === "") continue;
      let type = "message";
      let data: string | undefined;
      for (const line of frame.split("\n")) {
        const colon = line.indexOf(": ");
        const field = line.slice(0, colon);
        const value = line.slice(colon + 2);
        if (field === "id") this.lastEventId = value;
        else if (field === "event") type = value;
        else if (field === "data") data = value;
      }
      if (data !== undefined) messages.push({ type, data, lastEventId: this.lastEventId });
    }
    return messages;
  }
}
