/**
 * Matches requests to operations on the raw, still percent-encoded path, so that a file path sent as one encoded
 * segment (`wd%2Fout.txt`) stays one parameter. Parameters are decoded only after matching. Built from the
 * protocol's operation table; nothing else declares routes.
 */
import { serviceError } from "@openbatch/core";
import { extensionOperations, operations, type OperationSpec } from "@openbatch/protocol";

export interface RouteMatch {
  readonly operation: OperationSpec;
  /** Decoded path parameters. */
  readonly params: Readonly<Record<string, string>>;
}

interface CompiledRoute {
  readonly operation: OperationSpec;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compile(operation: OperationSpec): CompiledRoute {
  const names: string[] = [];
  let source = "";
  let rest = operation.path;
  for (const match of operation.path.matchAll(/\{(\w+)\}/g)) {
    const [placeholder, name] = match as unknown as [string, string];
    const index = rest.indexOf(placeholder);
    source += escapeRegExp(rest.slice(0, index));
    // The certificate path's parameters sit inside "(…=…,…)" and end at "," or ")"; others end at "/".
    source += operation.path.includes("(") ? "([^/,)]+)" : "([^/]+)";
    names.push(name);
    rest = rest.slice(index + placeholder.length);
  }
  source += escapeRegExp(rest);
  return { operation, pattern: new RegExp(`^${source}$`, "i"), names };
}

const routes = [...operations, ...extensionOperations].map(compile);

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw serviceError("RequestUrlFailedToParse", {
      message: `The request URL could not be parsed: '${segment}' is not valid percent-encoding.`,
    });
  }
}

/**
 * The operation a method and raw path address. Unknown paths → 400 InvalidUri (the service's status for that
 * code); a known path with another method → 405 UnsupportedHttpVerb.
 */
export function matchRoute(method: string, rawPath: string): RouteMatch {
  let pathMatched = false;
  // Python leaves the certificate path's "(", "=", ",", ")" unencoded; other clients may encode them.
  const path = /^\/certificates%28/i.test(rawPath) ? rawPath.replace(/%28|%29|%3D|%2C/gi, decode) : rawPath;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (match === null) continue;
    pathMatched = true;
    if (route.operation.method !== method) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = decode(match[i + 1] as string);
    });
    return { operation: route.operation, params };
  }
  if (pathMatched) {
    throw serviceError("UnsupportedHttpVerb", {
      message: `The resource doesn't support the HTTP verb ${method}.`,
      values: [{ key: "HttpVerb", value: method }],
    });
  }
  throw serviceError("InvalidUri", {
    message: "The requested URI does not represent any resource on the server.",
    values: [{ key: "UriPath", value: rawPath.length > 300 ? `${rawPath.slice(0, 300)}…` : rawPath }],
  });
}
