/**
 * A walk through the dashboard as a person would take it, against a real server with real agents: sign in, create a
 * pool and watch its nodes turn idle, submit a job of 200 tasks and watch it finish, open a failed task's stderr,
 * download a file, visit every view. Each step asserts what the person would see; dashboard.test.ts runs the steps
 * as tests, screenshots.ts runs the same steps to photograph each view for docs/dashboard.md.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";

/** Called after a step with the view it left on screen. */
export type Shoot = (name: string) => Promise<void>;

const long = { timeout: 90_000 };

/** A value set in the page once: still there later proves the page was never reloaded. */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as { tourMark?: number }).tourMark = 42));
}

export async function assertNotReloaded(page: Page): Promise<void> {
  assert.equal(await page.evaluate(() => (globalThis as { tourMark?: number }).tourMark), 42, "the page was reloaded");
}

export async function signIn(page: Page, url: string, account: { name: string; key: string }, shoot?: Shoot): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.getByRole("heading", { name: "Sign in to OpenBatch" }).waitFor();
  await page.getByLabel("Account name", { exact: true }).fill(account.name);
  await page.getByLabel("Account key", { exact: true }).fill(Buffer.from("not the key").toString("base64"));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "AuthenticationFailed" }).waitFor();
  await page.getByLabel("Account key", { exact: true }).fill(account.key);
  await shoot?.("signin");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  assert.match(await page.locator(".who").innerText(), new RegExp(`Signed in as ${account.name}`));
  assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie), "", "no cookie holds credentials");
  await markPage(page);
}

export async function createPool(page: Page, poolId: string, nodes: number, shoot?: Shoot): Promise<void> {
  await page.getByRole("link", { name: "Overview", exact: true }).click();
  const form = page.getByRole("form", { name: "Create pool" });
  await form.getByLabel("Pool id").fill(poolId);
  await form.getByLabel("Dedicated nodes").fill(String(nodes));
  await form.getByLabel("Task slots per node").fill("4");
  await form.getByLabel("Start task command line (optional)").fill('/bin/sh -c "echo started on $AZ_BATCH_NODE_ID"');
  await form.getByRole("button", { name: "Create pool" }).click();
  await page.getByRole("heading", { name: `Pool ${poolId}` }).waitFor();
  // The heat map fills and turns idle by itself: the event stream, no reload, no polling.
  await page.locator('.heatmap a[data-state="idle"]').nth(nodes - 1).waitFor(long);
  assert.equal(await page.locator(".heatmap a").count(), nodes);
  assert.equal(await page.getByRole("status").filter({ hasText: "Live" }).count(), 1, "the view is live");
  await page.getByRole("table", { name: "Start task on each node" }).getByText("completed").first().waitFor(long);
  await assertNotReloaded(page);
  await shoot?.("pool");
}

export async function openNodeWithKeyboard(page: Page, poolId: string, shoot?: Shoot): Promise<void> {
  const firstCell = page.locator(".heatmap a").first();
  const label = (await firstCell.getAttribute("aria-label")) ?? "";
  const nodeId = /^Node (\S+):/.exec(label)?.[1];
  assert.ok(nodeId !== undefined, `a labelled cell: ${label}`);
  // Keyboard only: focus the cell and press Enter.
  await firstCell.focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: `Node ${nodeId} of ${poolId}` }).waitFor();
  await page.getByRole("table", { name: `Files of node ${nodeId}` }).getByText("startup/stdout.txt").waitFor(long);
  await shoot?.("node");
  await page.getByRole("link", { name: poolId, exact: true }).first().click();
  await page.getByRole("heading", { name: `Pool ${poolId}` }).waitFor();
}

export async function submitJob(page: Page, jobId: string, poolId: string, tasks: number, commandLine: string): Promise<void> {
  await page.getByRole("link", { name: "Overview", exact: true }).click();
  const form = page.getByRole("form", { name: "Submit job" });
  await form.getByLabel("Job id").fill(jobId);
  await form.getByLabel("Pool").selectOption(poolId);
  await form.getByLabel("Tasks").fill(String(tasks));
  await form.getByLabel(/^Command line/).fill(commandLine);
  await form.getByRole("button", { name: "Submit job" }).click();
  await page.getByRole("heading", { name: `Job ${jobId}` }).waitFor();
}

/** Waits for the bar to reach 100 %; with `seeItMove`, it must have shown a value below 100 first (a live view). */
export async function watchJobFinish(page: Page, tasks: number, shoot?: Shoot, seeItMove = true): Promise<void> {
  const bar = page.getByRole("progressbar", { name: "Job progress" });
  const seen = new Set<string>();
  // Sample the bar while it moves: a live view passes through values between 0 and 100.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const now = (await bar.getAttribute("aria-valuenow")) ?? "";
    seen.add(now);
    if (now === "100") break;
    assert.ok(Date.now() < deadline, `the progress bar stayed at ${now}`);
    await page.waitForTimeout(25);
  }
  if (seeItMove) assert.ok([...seen].some((value) => Number(value) < 100), `the bar moved while the view was open (saw ${[...seen].join(", ")})`);
  assert.match(await page.getByTestId("progress-text").innerText(), new RegExp(`100% — ${tasks} of ${tasks} completed`));
  assert.equal(await page.getByRole("status").filter({ hasText: "Live" }).count(), 1, "updated by the event stream");
  await page.getByRole("table", { name: "Tasks" }).locator("tbody tr").nth(Math.min(tasks, 100) - 1).waitFor();
  await assertNotReloaded(page);
  await shoot?.("job");
}

export async function openFailedTaskStderr(page: Page, jobId: string, expected: string, shoot?: Shoot): Promise<string> {
  await page.getByRole("heading", { name: `Job ${jobId}` }).waitFor();
  const filter = page.getByRole("form", { name: "Filter tasks" });
  await filter.getByLabel("Result").selectOption("failure");
  await filter.getByRole("button", { name: "Apply filter" }).click();
  const rows = page.getByRole("table", { name: "Tasks" }).locator("tbody tr");
  await rows.first().waitFor();
  const taskId = await rows.first().getByRole("link").innerText();
  await rows.first().getByRole("link").click();
  await page.getByRole("heading", { name: new RegExp(`^Task ${taskId}`) }).waitFor();
  await page.getByRole("button", { name: "stderr.txt", exact: true }).click();
  const content = page.getByTestId("file-content");
  await content.filter({ hasText: expected }).waitFor(long);
  assert.match(await page.locator(".fields").innerText(), /Exit code\s+3/);
  assert.match(await page.locator(".fields").innerText(), /failure/);
  await shoot?.("task");
  return taskId;
}

/** Downloads `file` from the open task view; resolves to its content. */
export async function downloadTaskFile(page: Page, file: string): Promise<string> {
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: `Download ${file}` }).click();
  const saved = await download;
  assert.equal(saved.suggestedFilename(), file);
  const stream = await saved.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function visitLists(page: Page, shoot?: Shoot): Promise<void> {
  for (const [link, heading, name] of [
    ["Job schedules", "Job schedules", "schedules"],
    ["Certificates", "Certificates", "certificates"],
    ["Applications", "Applications", "applications"],
  ] as const) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }).click();
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
    await page.getByRole("table", { name: heading }).waitFor();
    await shoot?.(name);
  }
}

/**
 * Every form control in the page has an accessible name (a label, aria-label or its text), and every button and
 * link says what it does: returns the ones that do not.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(selector: string): Iterable<{ outerHTML: string; getAttribute(name: string): string | null; textContent: string | null; labels?: { length: number } | null; tagName: string; type?: string }> } }).document;
    const missing: string[] = [];
    for (const element of doc.querySelectorAll("input, select, textarea, button, a[href]")) {
      const named =
        (element.labels?.length ?? 0) > 0 || (element.getAttribute("aria-label") ?? "") !== "" || (element.getAttribute("aria-labelledby") ?? "") !== "" || (element.tagName !== "INPUT" && (element.textContent ?? "").trim() !== "");
      if (!named) missing.push(element.outerHTML.slice(0, 120));
    }
    return missing;
  });
}
