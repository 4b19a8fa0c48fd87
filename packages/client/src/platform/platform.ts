/**
 * What differs between Node.js and browsers, behind one interface. `#platform` (package.json `imports`) resolves to
 * platform/node.js by default and to platform/browser.js under the `browser` condition (bundlers such as Vite), so
 * the browser build never loads a `node:` module. Everything else in the package runs on both.
 */
import type { StreamedBody } from "../operations/common.js";
import type { HttpTransport, ResponseBodyStream } from "../transport.js";

export interface Platform {
  /** HMAC-SHA256 of the UTF-8 text, base64: node:crypto on Node.js, WebCrypto in browsers. */
  hmacSha256Base64(key: Uint8Array, text: string): Promise<string>;
  /** The same, synchronously, where the platform can (Node.js); undefined in browsers. */
  readonly hmacSha256Base64Sync: ((key: Uint8Array, text: string) => string) | undefined;
  /** UTF-8 bytes of a text (a Buffer on Node.js, so custom transports see what they always saw). */
  utf8(text: string): Uint8Array;
  /** The transport a client uses when none is given. */
  defaultTransport(options: { maxSockets?: number }): HttpTransport;
  /** Appended to the User-Agent header (browsers send their own and ignore ours). */
  readonly userAgent: string;
  /** A streamed download's body as this platform offers it. */
  streamedBody(stream: ResponseBodyStream | undefined): StreamedBody;
}
