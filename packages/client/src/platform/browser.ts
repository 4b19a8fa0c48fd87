/**
 * The browser platform (platform.ts): WebCrypto, fetch, web streams, no `node:` module. WebCrypto's `subtle` exists
 * only in secure contexts (https, or http on localhost/loopback), so SharedKey signing needs one; bearer tokens do not.
 */
import type { StreamedBody } from "../operations/common.js";
import type { HttpTransport, ResponseBodyStream } from "../transport.js";
import { FetchHttpTransport } from "../transports/fetch.js";
import type { Platform } from "./platform.js";

/** Node.js options of the Node transport, for the type only. */
export interface NodeHttpTransportOptions {
  readonly maxSockets?: number;
  readonly keepAliveTimeoutInMs?: number;
}

/** The Node.js transport does not exist in browsers; `FetchHttpTransport` is the default there. */
export class NodeHttpTransport implements HttpTransport {
  constructor(_options: NodeHttpTransportOptions = {}) {
    throw new TypeError("NodeHttpTransport needs Node.js; in browsers the client uses FetchHttpTransport");
  }
  send(): never {
    throw new TypeError("NodeHttpTransport needs Node.js");
  }
  async close(): Promise<void> {}
}

type HmacKey = Parameters<typeof globalThis.crypto.subtle.sign>[1];

const keys = new WeakMap<Uint8Array, Promise<HmacKey>>();

function hmacKey(key: Uint8Array): Promise<HmacKey> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    return Promise.reject(new TypeError("SharedKey signing needs WebCrypto, which browsers offer only on https or localhost pages; use a bearer token or https"));
  }
  let imported = keys.get(key);
  if (imported === undefined) keys.set(key, (imported = subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])));
  return imported;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export const platform: Platform = {
  async hmacSha256Base64(key, text) {
    const signature = await globalThis.crypto.subtle.sign("HMAC", await hmacKey(key), new TextEncoder().encode(text));
    return base64(new Uint8Array(signature));
  },
  hmacSha256Base64Sync: undefined,
  utf8: (text) => new TextEncoder().encode(text),
  defaultTransport: () => new FetchHttpTransport(),
  userAgent: "",
  streamedBody(stream: ResponseBodyStream | undefined): StreamedBody {
    const body = (stream as ReadableStream<Uint8Array> | undefined) ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    const result = {} as StreamedBody;
    Object.defineProperty(result, "body", { enumerable: true, value: body });
    Object.defineProperty(result, "readableStreamBody", {
      enumerable: false,
      get: () => {
        throw new TypeError("readableStreamBody is a Node.js stream; in browsers read `body` (a web ReadableStream)");
      },
    });
    return result;
  },
};
