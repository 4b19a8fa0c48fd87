/**
 * The dashboard in Chromium against a real server with real agents (tour.ts has the steps): typed sign-in, a pool
 * created from the UI whose nodes turn idle on the heat map, a 200-task job whose progress bar reaches 100 % with no
 * reload, a failed task's stderr, a file download, keyboard navigation and labelled controls on every view; and the
 * development account signing in with no typing on loopback.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { launchChromium, type Chromium } from "../support/chromium.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { assertNotReloaded, createPool, downloadTaskFile, openFailedTaskStderr, openNodeWithKeyboard, signIn, submitJob, unlabelledControls, visitLists, watchJobFinish } from "./tour.js";

describe("the dashboard", () => {
  let server: TestServer;
  let browser: Chromium;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => pageErrors.push(String(error)));
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it("is served at /ui/ with its assets", async () => {
    const index = await fetch(`${server.url}/ui/`);
    assert.equal(index.status, 200);
    const html = await index.text();
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script !== undefined, html);
    const asset = await fetch(`${server.url}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get("content-type") ?? "", /javascript/);
    assert.equal((await fetch(`${server.url}/ui`, { redirect: "manual" })).headers.get("location"), "/ui/");
    // Not the development account here: the configuration offers no key.
    assert.deepEqual(await (await fetch(`${server.url}/ui/config.json`)).json(), { developmentAccount: null, eventsPath: "/_events" });
  });

  it("signs in with an account name and key (a wrong key is refused)", async () => {
    await signIn(page, server.url, testAccounts.alpha);
  });

  it("creates a pool from the UI and shows its nodes turning idle on the heat map", async () => {
    await createPool(page, "ui-pool", 2);
  });

  it("opens a node from the heat map with the keyboard", async () => {
    await openNodeWithKeyboard(page, "ui-pool");
  });

  it("submits a job of 200 tasks and shows the progress bar reach 100 % without a reload", async () => {
    // Each task takes a moment, so the bar is seen moving (8 slots: about 10 s for the job).
    await submitJob(page, "ui-job", "ui-pool", 200, '/bin/sh -c "sleep 0.4; echo task {i}"');
    await watchJobFinish(page, 200);
  });

  it("filters the task table on the server and pages through it", async () => {
    const filter = page.getByRole("form", { name: "Filter tasks" });
    await filter.getByLabel("Id starts with").fill("task-19");
    await filter.getByRole("button", { name: "Apply filter" }).click();
    const rows = page.getByRole("table", { name: "Tasks" }).locator("tbody tr");
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll("table[aria-label=Tasks] tbody tr").length === 10);
    assert.deepEqual((await rows.locator("td:first-child").allInnerTexts()).slice(0, 2), ["task-190", "task-191"]);
    await filter.getByLabel("Id starts with").fill("");
    await filter.getByRole("button", { name: "Apply filter" }).click();
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByRole("table", { name: "Tasks" }).getByRole("link", { name: "task-100", exact: true }).waitFor();
    assert.match(await page.getByRole("navigation", { name: "Task pages" }).innerText(), /Page 2/);
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.getByRole("table", { name: "Tasks" }).getByRole("link", { name: "task-000", exact: true }).waitFor();
    await assertNotReloaded(page);
  });

  it("opens a failed task's stderr and downloads its stdout", async () => {
    await submitJob(page, "ui-failing", "ui-pool", 3, '/bin/sh -c "echo out {i}; echo failing {i} >&2; exit 3"');
    await watchJobFinish(page, 3, undefined, false);
    const taskId = await openFailedTaskStderr(page, "ui-failing", "failing");
    const index = taskId.replace(/^task-0*/, "") || "0";
    assert.equal(await downloadTaskFile(page, "stdout.txt"), `out ${index}\n`);
  });

  it("labels every control of every view", async () => {
    // Each view with what shows it has loaded (its controls are all on screen then).
    const views: [string, string][] = [
      ["#/", "table[aria-label=Pools] tbody tr"],
      ["#/pools/ui-pool", ".heatmap a"],
      ["#/jobs/ui-job", "table[aria-label=Tasks] tbody tr"],
      ["#/jobs/ui-failing/tasks/task-0", "table[aria-label='Files of task task-0'] tbody tr"],
      ["#/schedules", "table[aria-label='Job schedules']"],
      ["#/certificates", "table[aria-label=Certificates]"],
      ["#/applications", "table[aria-label=Applications]"],
    ];
    for (const [hash, loaded] of views) {
      await page.evaluate((target) => ((globalThis as unknown as { location: { hash: string } }).location.hash = target), hash);
      await page.locator(loaded).first().waitFor();
      assert.deepEqual(await unlabelledControls(page), [], `unlabelled controls on ${hash}`);
    }
    await visitLists(page);
  });

  it("raised no error in the page", () => {
    assert.deepEqual(pageErrors, []);
  });
});

describe("the dashboard on a server with the development account", () => {
  let server: TestServer;
  let browser: Chromium;

  before(async () => {
    server = await startTestServer({ accounts: [], localAgentEntry: undefined });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it("signs in without typing, and signing out shows the form", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/ui/`);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    assert.match(await page.locator(".who").innerText(), /Signed in as devbatch/);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to OpenBatch" }).waitFor();
    await page.getByRole("button", { name: /Use the development account/ }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
  });
});
