/** The Node.js platform (platform.ts): node:crypto, node:http, Node.js streams. */
import { createHmac } from "node:crypto";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { StreamedBody } from "../operations/common.js";
import type { ResponseBodyStream } from "../transport.js";
import { NodeHttpTransport } from "../transports/nodeHttp.js";
import type { Platform } from "./platform.js";

export { NodeHttpTransport, type NodeHttpTransportOptions } from "../transports/nodeHttp.js";

function hmacSync(key: Uint8Array, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("base64");
}

export const platform: Platform = {
  hmacSha256Base64: async (key, text) => hmacSync(key, text),
  hmacSha256Base64Sync: hmacSync,
  utf8: (text) => Buffer.from(text, "utf8"),
  defaultTransport: (options) => new NodeHttpTransport(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets }),
  userAgent: `Node/${process.version}`,
  streamedBody(stream: ResponseBodyStream | undefined): StreamedBody {
    const result = {} as StreamedBody;
    if (stream !== undefined && typeof (stream as ReadableStream).getReader === "function") {
      // A fetch transport's web stream: the Node.js view is made on first access.
      const web = stream as WebReadableStream<Uint8Array>;
      let node: Readable | undefined;
      Object.defineProperty(result, "readableStreamBody", { enumerable: true, get: () => (node ??= Readable.fromWeb(web)) });
      Object.defineProperty(result, "body", { enumerable: true, value: web });
      return result;
    }
    const node: Readable = (stream as Readable | undefined) ?? Readable.from([]);
    let web: WebReadableStream<Uint8Array> | undefined;
    Object.defineProperty(result, "readableStreamBody", { value: node, enumerable: true });
    Object.defineProperty(result, "body", { enumerable: true, get: () => (web ??= Readable.toWeb(node) as WebReadableStream<Uint8Array>) });
    return result;
  },
};
