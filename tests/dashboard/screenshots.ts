/**
 * Photographs every view of the dashboard for docs/dashboard.md by running the browser tests' own tour (tour.ts)
 * against a real server with real agents, plus a job schedule and a certificate so that their lists are not empty.
 * Run after `npm run build`:  node tests/dist/dashboard/screenshots.js
 * The pictures go to docs/images/dashboard/<view>.png.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BatchServiceClient, BatchSharedKeyCredential } from "@openbatch/client";
import { certificateFixture, sha1Thumbprint } from "../support/certificateFixtures.js";
import { launchChromium } from "../support/chromium.js";
import { startTestServer, testAccounts } from "../support/testServer.js";
import { createPool, openFailedTaskStderr, openNodeWithKeyboard, signIn, submitJob, visitLists, watchJobFinish } from "./tour.js";

const directory = fileURLToPath(new URL("../../../docs/images/dashboard/", import.meta.url));
mkdirSync(directory, { recursive: true });

const server = await startTestServer();
const browser = await launchChromium({ width: 1280, height: 860 });
const client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(testAccounts.alpha.name, testAccounts.alpha.key));
try {
  const page = await browser.context.newPage();
  const shoot = async (name: string) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${directory}${name}.png`, fullPage: name !== "job" });
    console.log(`docs/images/dashboard/${name}.png`);
  };
  await signIn(page, server.url, testAccounts.alpha, shoot);
  await createPool(page, "render", 6, shoot);
  await openNodeWithKeyboard(page, "render", shoot);
  await submitJob(page, "frames", "render", 200, '/bin/sh -c "sleep 1; echo frame {i} rendered"');
  // The overview while the job runs, so its chart has something to show.
  await page.getByRole("link", { name: "Overview", exact: true }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.waitForTimeout(4000);
  await shoot("overview");
  await page.getByRole("table", { name: "Jobs" }).getByRole("link", { name: "frames" }).click();
  await watchJobFinish(page, 200, shoot);
  await submitJob(page, "broken", "render", 4, '/bin/sh -c "echo starting {i}; echo missing input file frame-{i}.exr >&2; exit 3"');
  await watchJobFinish(page, 4, undefined, false);
  await openFailedTaskStderr(page, "broken", "missing input file", shoot);
  await client.jobSchedule.add({ id: "nightly", schedule: { recurrenceInterval: "P1D" }, jobSpecification: { poolInfo: { poolId: "render" } } });
  const cer = certificateFixture("openbatch-test.cer");
  await client.certificate.add({ thumbprint: sha1Thumbprint(cer), thumbprintAlgorithm: "sha1", data: cer.toString("base64"), certificateFormat: "cer" });
  await visitLists(page, shoot);
} finally {
  await client.close();
  await browser.close();
  await server.dispose();
}
