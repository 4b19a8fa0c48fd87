// Writes packages/client/src/generated/ from @openbatch/protocol, so the published client carries the wire contract
// without depending on the protocol package (and through it on TypeBox and @openbatch/core) at run time:
//
//   wireModels.ts  a plain TypeScript interface per wire model, walked from the TypeBox JSON schemas, and per enum
//                  its value array, `KnownX` (the values of this API version) and `X` (open to newer values);
//   wireTable.ts   the data the client reads at run time: api-versions, the operation table, filterable properties;
//   sharedKey.ts   protocol/src/sharedKey.ts verbatim (it imports nothing, so the copy compiles on its own and the
//                  string-to-sign stays written once).
//
// `node packages/client/scripts/generateWire.mjs` rewrites the files; `--check` exits 1 when a committed file is
// stale (run by packages/client/test/generated.test.ts). The protocol package must be built first (`npx tsc -b`).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as protocol from "@openbatch/protocol";

const kind = Symbol.for("TypeBox.Kind");
const generatedDir = new URL("../src/generated/", import.meta.url);
const sharedKeySource = new URL("../../protocol/src/sharedKey.ts", import.meta.url);
const header = (what) =>
  `// GENERATED from @openbatch/protocol by packages/client/scripts/generateWire.mjs — do not edit.\n// ${what}\n`;

const identifier = /^[A-Za-z_$][\w$]*$/;
const key = (name) => (identifier.test(name) ? name : JSON.stringify(name));

function docComment(text, indent) {
  if (typeof text !== "string" || text === "") return "";
  return `${indent}/** ${text.replace(/\*\//g, "*\\/").replace(/\s*\n\s*/g, " ")} */\n`;
}

/** A value written as a TypeScript literal, keys bare where they can be. */
function literal(value) {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${key(k)}: ${literal(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

// ---- enums ----------------------------------------------------------------------------------------------------

/** Every enum of the protocol: name → its value array (`XValues` next to a BatchEnum schema `X`). */
function collectEnums() {
  const enums = new Map();
  for (const [name, value] of Object.entries(protocol)) {
    if (value?.[kind] !== protocol.batchEnumKind) continue;
    const values = protocol[`${name}Values`];
    if (!Array.isArray(values) || values !== value.enum) throw new Error(`enum ${name} has no ${name}Values array`);
    enums.set(name, values);
  }
  return enums;
}

/**
 * The enum a property's schema uses, found by its value array (schemas are copied by Type.Optional, the array is
 * shared). Enums that share one array (the node reboot/reimage/deallocation options) are told apart by the
 * property name (`nodeRebootOption` → ComputeNodeRebootOption); otherwise the first declared wins.
 */
function enumName(enums, schema, propertyName, where) {
  const candidates = [...enums].filter(([, values]) => values === schema.enum).map(([name]) => name);
  if (candidates.length === 0) throw new Error(`${where}: an enum that is not exported as XValues`);
  const suffix = propertyName.charAt(0).toUpperCase() + propertyName.slice(1);
  return candidates.find((name) => name.endsWith(suffix)) ?? candidates[0];
}

function renderEnums(enums) {
  let out = "";
  for (const [name, values] of enums) {
    out += `/** The values of ${name} in this API version. */\n`;
    out += `export const ${name}Values = ${literal([...values])} as const;\n`;
    out += `/** A value of ${name} that this API version defines. */\n`;
    out += `export type Known${name} = (typeof ${name}Values)[number];\n`;
    out += `/** ${name}, open to values a newer service may send (any other string type-checks). */\n`;
    out += `export type ${name} = Known${name} | (string & {});\n\n`;
  }
  return out;
}

// ---- models ---------------------------------------------------------------------------------------------------

function typeOf(schema, context) {
  switch (schema[kind]) {
    case "String":
      return "string";
    case "Integer":
    case "Number":
      return "number";
    case "Boolean":
      return "boolean";
    case "Unknown":
      return "unknown";
    case "BatchEnum":
      return enumName(context.enums, schema, context.property, context.where);
    case "Array": {
      const item = typeOf(schema.items, { ...context, where: `${context.where}[]` });
      return /^[\w$]+$/.test(item) ? `${item}[]` : `(${item})[]`;
    }
    case "Record": {
      const [pattern, ...rest] = Object.values(schema.patternProperties ?? {});
      if (pattern === undefined || rest.length > 0) throw new Error(`${context.where}: a record without one value schema`);
      return `Record<string, ${pattern[kind] === undefined ? "unknown" : typeOf(pattern, context)}>`;
    }
    case "Object": {
      const name = schema.$id;
      const model = name === undefined ? undefined : protocol.wireModels[name];
      if (model === undefined) throw new Error(`${context.where}: an object schema that is not a named wire model`);
      if (JSON.stringify(model) !== JSON.stringify(schema)) throw new Error(`${context.where}: differs from the wire model ${name} it names`);
      return name;
    }
    default:
      throw new Error(`${context.where}: the generator does not know TypeBox kind ${String(schema[kind])}`);
  }
}

function renderModels(enums) {
  const names = Object.keys(protocol.wireModels).sort();
  let out = "/** Every wire model by its name, as the operation table names request and response bodies. */\n";
  out += `export interface WireModelsByName {\n${names.map((name) => `  ${name}: ${name};\n`).join("")}}\n\n`;
  for (const name of names) {
    const schema = protocol.wireModels[name];
    if (schema[kind] !== "Object") throw new Error(`wire model ${name} is not an object`);
    const required = new Set(schema.required ?? []);
    out += docComment(schema.description, "");
    out += `export interface ${name} {\n`;
    for (const [property, propertySchema] of Object.entries(schema.properties)) {
      const type = typeOf(propertySchema, { enums, property, where: `${name}.${property}` });
      if (propertySchema[kind] !== "Object") out += docComment(propertySchema.description, "  ");
      out += `  ${key(property)}${required.has(property) ? "" : "?"}: ${type};\n`;
    }
    out += "}\n\n";
  }
  return out;
}

function renderWireModels() {
  const enums = collectEnums();
  return (
    header("Every wire model of the Batch data-plane API as a plain interface, and every enum.") +
    "\n// ---- Enums ----\n\n" +
    renderEnums(enums) +
    "// ---- Models ----\n\n" +
    renderModels(enums)
  ).replace(/\n+$/, "\n");
}

// ---- run-time table -------------------------------------------------------------------------------------------

const operationFields = ["operationId", "method", "path", "status", "conditions", "query", "responseHeaders", "requestBody", "requestBodyOptional", "responseBody", "paged", "removedIn"];

function operationRows(list) {
  return list.map((operation) => `  ${literal(Object.fromEntries(operationFields.map((field) => [field, operation[field]])))},\n`).join("");
}

function renderWireTable() {
  const filterEntries = Object.entries(protocol.filterableProperties).map(([target, properties]) => {
    const rows = Object.entries(properties).map(([name, { kind: valueKind, operators }]) => `    ${key(name)}: ${literal({ kind: valueKind, operators: [...operators] })},\n`);
    return `  ${key(target)}: {\n${rows.join("")}  },\n`;
  });
  const operatorOrder = ["eq", "ne", "gt", "ge", "lt", "le", "startswith"];
  const used = new Set(Object.values(protocol.filterableProperties).flatMap((properties) => Object.values(properties).flatMap((property) => property.operators)));
  const unknown = [...used].filter((operator) => !operatorOrder.includes(operator));
  if (unknown.length > 0) throw new Error(`filter operators the generator does not order: ${unknown.join(", ")}`);
  return `${header("The api-versions, the operation table and the filterable properties: the data the client reads at run time.")}
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One row of the operation table (see packages/protocol/src/operations.ts for the meaning of each field). */
export interface OperationSpec {
  readonly operationId: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly status: number;
  readonly conditions: "all" | "dates" | "none";
  readonly query: readonly string[];
  readonly responseHeaders: string;
  readonly requestBody?: string;
  readonly requestBodyOptional?: boolean;
  readonly responseBody?: string;
  readonly paged?: boolean;
  readonly removedIn?: string;
}

/** The api-versions OpenBatch accepts, oldest first. */
export const apiVersions = ${literal([...protocol.apiVersions])} as const;

/** The api-version the client sends by default. */
export const currentApiVersion = ${literal(protocol.currentApiVersion)};

/** Every operation of the Batch data-plane API. */
export const operations = [
${operationRows(protocol.operations)}] as const satisfies readonly OperationSpec[];

/** OpenBatch's own operations (not in Azure Batch). */
export const extensionOperations = [
${operationRows(protocol.extensionOperations)}] as const satisfies readonly OperationSpec[];

export type OperationId = (typeof operations)[number]["operationId"] | (typeof extensionOperations)[number]["operationId"];

export type FilterOperator = ${operatorOrder.filter((operator) => used.has(operator)).map((operator) => JSON.stringify(operator)).join(" | ")};

/** Which properties each list can filter on, how their values compare and with which operators. */
export const filterableProperties = {
${filterEntries.join("")}} as const;

export type FilterTarget = keyof typeof filterableProperties;
`;
}

function renderSharedKey() {
  const source = readFileSync(sharedKeySource, "utf8");
  // The copy must compile alone: the protocol module keeps the string-to-sign free of imports for this reason.
  if (/^\s*(import|export\s+(\*|\{[^}]*\})\s+from)\b/m.test(source)) throw new Error("protocol/src/sharedKey.ts must not import anything: the client copies it verbatim");
  return `${header("A verbatim copy of packages/protocol/src/sharedKey.ts, so client and server sign with the same code.")}\n${source}`;
}

export function renderAll() {
  return new Map([
    ["wireModels.ts", renderWireModels()],
    ["wireTable.ts", renderWireTable()],
    ["sharedKey.ts", renderSharedKey()],
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  const stale = [];
  for (const [file, text] of renderAll()) {
    const url = new URL(file, generatedDir);
    let current;
    try {
      current = readFileSync(url, "utf8");
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    stale.push(file);
    if (!check) writeFileSync(url, text);
  }
  if (check && stale.length > 0) {
    console.error(`packages/client/src/generated is stale (${stale.join(", ")}): run node packages/client/scripts/generateWire.mjs`);
    process.exit(1);
  }
  if (!check) console.log(stale.length === 0 ? "generated files are current" : `wrote ${stale.join(", ")}`);
}
