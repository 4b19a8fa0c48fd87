/**
 * The portable client suite (portable/clientSuite.ts) in Chromium, on the client's browser build: the page loads the
 * compiled client through an import map that resolves `#platform` to platform/browser.js (what a bundler does with
 * the `browser` condition), so requests go through fetch, SharedKey is signed with WebCrypto and downloads are web
 * streams. The page lives on the server's own origin (its files are served by request interception), as the
 * dashboard does, so no CORS is involved.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { launchChromium, type Chromium } from "../support/chromium.js";
import { clientCases, type SuiteContext } from "./portable/clientSuite.js";
import { startPortableServer } from "./portable/portableServer.js";

const clientDist = fileURLToPath(new URL("../../../packages/client/dist/src/", import.meta.url));
const suiteDist = fileURLToPath(new URL("./portable/", import.meta.url));
const base = "/__portable-suite";

const page = `<!doctype html><meta charset="utf-8"><title>client suite</title>
<script type="importmap">{"imports": {"@openbatch/client": "${base}/client/index.js", "#platform": "${base}/client/platform/browser.js"}}</script>
<script type="module">
  import { clientCases } from "${base}/suite/clientSuite.js";
  window.runCase = async (name, context) => {
    const found = clientCases.find((c) => c.name === name);
    if (!found) return { ok: false, error: "no such case: " + name };
    try { await found.run(context); return { ok: true }; } catch (error) { return { ok: false, error: String(error && error.stack || error) }; }
  };
  window.suiteLoaded = true;
</script>`;

/** A file under `root`, refusing paths that leave it. */
function fileUnder(root: string, relativePath: string): Buffer | undefined {
  const path = normalize(join(root, relativePath));
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

describe("the client in Chromium, browser build (portable suite)", () => {
  let started: Awaited<ReturnType<typeof startPortableServer>>;
  let browser: Chromium;
  let tab: Page;

  before(async () => {
    started = await startPortableServer("browser");
    const server = started.server;
    browser = await launchChromium();
    tab = await browser.context.newPage();
    await tab.route(`${server.url}${base}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname.slice(base.length + 1);
      if (path === "index.html") return route.fulfill({ contentType: "text/html", body: page });
      const [area, ...rest] = path.split("/");
      const body = area === "client" ? fileUnder(clientDist, rest.join("/")) : area === "suite" ? fileUnder(suiteDist, rest.join("/")) : undefined;
      if (body === undefined) return route.fulfill({ status: 404, body: "not found" });
      return route.fulfill({ contentType: "text/javascript", body });
    });
    const problems: string[] = [];
    tab.on("pageerror", (error) => problems.push(String(error)));
    await tab.goto(`${server.url}${base}/index.html`);
    await tab.waitForFunction(() => (globalThis as unknown as { suiteLoaded?: boolean }).suiteLoaded === true, undefined, { timeout: 30_000 }).catch(() => {
      throw new Error(`the suite did not load in the page: ${problems.join("; ")}`);
    });
  });

  after(async () => {
    await browser?.close();
    await started?.dispose();
  });

  it("runs the browser build: no NodeHttpTransport, fetch and WebCrypto underneath", async () => {
    const probe = await tab.evaluate(async () => {
      const client = await import("@openbatch/client" as string);
      let nodeTransport = "constructed";
      try {
        new client.NodeHttpTransport();
      } catch (error) {
        nodeTransport = String(error);
      }
      return { nodeTransport, process: typeof (globalThis as { process?: unknown }).process };
    });
    assert.match(probe.nodeTransport, /needs Node\.js/);
    assert.equal(probe.process, "undefined");
  });

  for (const clientCase of clientCases) {
    it(clientCase.name, async () => {
      const context: SuiteContext = started.context;
      const result = await tab.evaluate(({ name, context: given }) => (globalThis as unknown as { runCase: (n: string, c: SuiteContext) => Promise<{ ok: boolean; error?: string }> }).runCase(name, given), {
        name: clientCase.name,
        context,
      });
      assert.ok(result.ok, result.error);
    });
  }
});
