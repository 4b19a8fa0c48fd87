/** The first value of a request header (Node gives repeated headers as an array), or undefined when absent. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
