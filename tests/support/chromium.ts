/**
 * Debian's Chromium (`/usr/bin/chromium`, installed by .ci/run) driven by playwright-core: headless, no sandbox (CI
 * runs as root), no network of its own (no QUIC, no background fetches, no component updates), a fresh profile per
 * launch. Playwright never downloads a browser here; a missing Chromium fails the test loudly.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const chromiumPath = process.env["OPENBATCH_CHROMIUM"] ?? "/usr/bin/chromium";

export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1280, height: 860 }): Promise<Chromium> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium is missing at ${chromiumPath}: install Debian's chromium (.ci/run does)`);
  const profile = mkdtempSync(join(tmpdir(), "openbatch-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    acceptDownloads: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
