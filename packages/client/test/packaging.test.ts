/**
 * The client as it is published: its compiled modules (JS and .d.ts) import nothing but Node built-ins, each other
 * (also through the package's `#platform` import) and allowed Azure core packages; what a browser loads (the
 * `browser` condition) imports no Node built-in at all; package.json declares nothing else; and `npm pack` yields a tarball that a fresh
 * project outside the workspace installs offline, runs (a signed request to a local server that verifies the
 * signature with the protocol's string-to-sign) and type-checks against with the repository's TypeScript.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import ts from "typescript";
import { sharedKeyStringToSign } from "@openbatch/protocol";
import { ComputeNodeStateValues, clientVersion } from "../src/index.js";

const packageDir = fileURLToPath(new URL("../../", import.meta.url));
const distDir = join(packageDir, "dist", "src");
const repoDir = resolve(packageDir, "..", "..");
const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as Record<string, unknown>;

/** Azure core packages a future version may depend on; anything else needs a decision, not just an import. */
const allowedPackages = new Set(["@azure/abort-controller", "@azure/core-auth", "@azure/core-rest-pipeline", "@azure/core-util", "@azure/logger"]);

function filesUnder(directory: string, suffix: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(suffix) && !(suffix === ".js" && file.endsWith(".d.js")))
    .map((file) => join(directory, file));
}

/** The package's own `imports` (`#platform`), per condition, as files of the compiled package. */
const ownImports = manifest["imports"] as Record<string, Record<string, string>>;

function ownImportTargets(specifier: string): string[] {
  const conditions = ownImports[specifier];
  assert.ok(conditions !== undefined, `${specifier} is not in package.json imports`);
  return Object.values(conditions).map((target) => join(packageDir, target));
}

/** Every import specifier of the compiled modules, static and dynamic, that is not one of the package's own files. */
function foreignImports(suffix: ".js" | ".d.ts"): Map<string, string[]> {
  const foreign = new Map<string, string[]>();
  for (const file of filesUnder(distDir, suffix)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith("#")) {
        for (const target of ownImportTargets(specifier)) assert.ok(!relative(distDir, target).startsWith(".."), `${specifier} maps to ${target}, outside the package`);
        continue;
      }
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file), specifier);
        assert.ok(!relative(distDir, target).startsWith(".."), `${file} imports ${specifier}, outside the package`);
        continue;
      }
      foreign.set(specifier, [...(foreign.get(specifier) ?? []), relative(distDir, file)]);
    }
  }
  return foreign;
}

function assertAllowed(foreign: Map<string, string[]>): void {
  for (const [specifier, files] of foreign) {
    const packageName = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
    const allowed = specifier.startsWith("node:") || allowedPackages.has(packageName ?? "");
    assert.ok(allowed, `${specifier} is imported by ${files.join(", ")}: only node:* built-ins and ${[...allowedPackages].join(", ")} are allowed`);
  }
}

// npm run from the workspace would otherwise pass its workspace settings on to the consumer's npm.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, `${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe("the published package", () => {
  it("imports only Node built-ins, its own modules and allowed Azure core packages at run time", () => {
    const foreign = foreignImports(".js");
    assert.ok([...foreign.keys()].includes("node:http"), "the walk found the transport's imports");
    assertAllowed(foreign);
  });

  it("loads no Node built-in under the browser condition: every module reachable from index.js imports only its own files", () => {
    const seen = new Set<string>();
    const pending = [join(distDir, "index.js")];
    while (pending.length > 0) {
      const file = pending.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      // Type-only imports are erased from the JavaScript, so what is left is what a browser fetches.
      for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
        if (specifier.startsWith("#")) pending.push(join(packageDir, ownImports[specifier]?.["browser"] ?? assert.fail(`${specifier} has no browser target`)));
        else if (specifier.startsWith(".")) pending.push(resolve(dirname(file), specifier));
        else assert.fail(`${relative(distDir, file)} imports ${specifier}, which a browser cannot load`);
      }
    }
    assert.ok(seen.has(join(distDir, "platform", "browser.js")) && !seen.has(join(distDir, "platform", "node.js")), "the walk followed #platform to the browser module");
    assert.ok(seen.has(join(distDir, "transports", "fetch.js")));
  });

  it("publishes types that need nothing but @types/node and allowed Azure core packages", () => {
    assert.ok(filesUnder(distDir, ".d.ts").some((file) => file.endsWith("generated/wireModels.d.ts")));
    assertAllowed(foreignImports(".d.ts"));
  });

  it("declares no dependency but allowed Azure core packages, and the fields a registry needs", () => {
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
      for (const name of Object.keys((manifest[field] ?? {}) as Record<string, string>)) {
        assert.ok(allowedPackages.has(name), `${field} has ${name}`);
      }
    }
    assert.equal(manifest["private"], undefined);
    assert.deepEqual(manifest["engines"], { node: ">=20" });
    assert.equal(manifest["types"], "./dist/src/index.d.ts");
    assert.equal(manifest["version"], clientVersion, "clientVersion (sent in User-Agent) matches package.json");
  });
});

describe("npm pack, installed by a project outside the workspace", () => {
  const accountName = "packacct";
  const accountKey = Buffer.from("packaging-test-key").toString("base64");
  let work: string;
  let consumer: string;
  let server: Server;
  let endpoint: string;
  let packedFiles: string[];
  const signatures: boolean[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "openbatch-pack-"));
    const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], packageDir)) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed !== undefined);
    packedFiles = packed.files.map((file) => file.path);
    consumer = join(work, "consumer");
    run("mkdir", [consumer], work);
    writeFileSync(
      join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { "@openbatch/client": `file:${join(work, packed.filename)}` } }),
    );
    run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], consumer);
    // Answers Pool_Get when the SharedKey signature verifies with the protocol's own string-to-sign.
    server = createServer((request, response) => {
      const [rawPath = "", rawQuery = ""] = (request.url ?? "").split("?");
      const headers = new Map(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      const expected = createHmac("sha256", Buffer.from(accountKey, "base64"))
        .update(sharedKeyStringToSign({ method: request.method ?? "", headers, rawPath, rawQuery }, accountName), "utf8")
        .digest("base64");
      const verified = request.headers.authorization === `SharedKey ${accountName}:${expected}`;
      signatures.push(verified);
      response.writeHead(verified ? 200 : 403, { "content-type": "application/json;odata=minimalmetadata", etag: "0x8DPACK", "request-id": "r-1" });
      response.end(JSON.stringify(verified ? { id: "p 1", state: "active" } : { code: "AuthenticationFailed", message: { value: "bad signature" } }));
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((done) => server?.close(() => done()));
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("packs the compiled modules, their types and the README, and nothing of the sources or tests", () => {
    assert.ok(packedFiles.includes("dist/src/index.js") && packedFiles.includes("dist/src/index.d.ts") && packedFiles.includes("README.md"));
    const unexpected = packedFiles.filter((file) => !/^dist\/src\/.+\.(js|d\.ts)$/.test(file) && file !== "README.md" && file !== "package.json");
    assert.deepEqual(unexpected, []);
  });

  it("runs in the consumer: imports, signs a request the protocol verifies, parses the answer", async () => {
    writeFileSync(
      join(consumer, "main.mjs"),
      `import { BatchServiceClient, BatchSharedKeyCredential, ComputeNodeStateValues, odataFilter } from "@openbatch/client";
const client = new BatchServiceClient(process.argv[2], new BatchSharedKeyCredential(${JSON.stringify(accountName)}, ${JSON.stringify(accountKey)}));
const pool = await client.pool.get("p 1");
await client.close();
console.log(JSON.stringify({ id: pool.id, eTag: pool._response.parsedHeaders.eTag, filter: odataFilter("pools").eq("state", "active"), states: ComputeNodeStateValues.length }));
`,
    );
    // Not spawnSync: the server answering the consumer runs on this process's event loop.
    const { stdout } = await promisify(execFile)(process.execPath, ["main.mjs", endpoint], { cwd: consumer, env, timeout: 60_000 });
    const output = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(output, { id: "p 1", eTag: "0x8DPACK", filter: "state eq 'active'", states: ComputeNodeStateValues.length });
    assert.deepEqual(signatures, [true]);
  });

  it("type-checks a TypeScript consumer against the published .d.ts, and its types catch mistakes", () => {
    writeFileSync(
      join(consumer, "main.ts"),
      `import { BatchServiceClient, BatchSharedKeyCredential, ComputeNodeStateValues, odataFilter, type CloudPool, type KnownComputeNodeState, type PoolAddParameter } from "@openbatch/client";
export const pool: PoolAddParameter = { id: "p", vmSize: "standard_d2s_v3", targetDedicatedNodes: 0 };
// @ts-expect-error vmSize is a string
export const wrong: PoolAddParameter = { id: "p", vmSize: 3 };
export const first: KnownComputeNodeState | undefined = ComputeNodeStateValues[0];
// @ts-expect-error a known state is one this API version defines
export const future: KnownComputeNodeState = "hibernating";
// @ts-expect-error pools cannot be filtered on displayName
odataFilter("pools").eq("displayName", "x");
export async function eTagOf(endpoint: string): Promise<string | undefined> {
  const client = new BatchServiceClient(endpoint, new BatchSharedKeyCredential("a", "a2V5"));
  const found = await client.pool.get("p");
  const model: CloudPool = found;
  return model.id === undefined ? undefined : found._response.parsedHeaders.eTag;
}
`,
    );
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          lib: ["ES2023"],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(repoDir, "node_modules", "@types")],
        },
        files: ["main.ts"],
      }),
    );
    run(process.execPath, [join(repoDir, "node_modules", "typescript", "bin", "tsc"), "-p", consumer], consumer);
  });
});
