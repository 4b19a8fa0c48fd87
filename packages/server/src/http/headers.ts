/** Reading request headers as Node gives them (a repeated header arrives as an array): the first value counts. */
import type { IncomingHttpHeaders } from "node:http";

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The first value of a header; `name` in lower case, as Node keys them. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  return firstHeader(headers[name]);
}
