// The dashboard on a job of 100,000 tasks (issue #18 target: loads in < 1 s): a real server, the tasks added through
// the API (not runnable, so the job stays as it is), the built dashboard in Debian's Chromium. Prints, per load, the
// time from navigation start until the job view shows its counts and its first page of 100 tasks, cold (fresh
// profile) and warm (assets cached); then the next-page and filter times, and what /metrics counted meanwhile.
//   node bench/dashboardLoad.mjs [tasks=100000] [loads=7]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { api, percentile, startBenchServer } from "./support/benchServer.mjs";

const taskCount = Number(process.argv[2] ?? 100_000);
const loads = Number(process.argv[3] ?? 7);
const bench = await startBenchServer({ localAgentEntry: undefined });
const { request, account, server } = bench;
const profile = mkdtempSync(join(tmpdir(), "openbatch-bench-chromium-"));
let browser;
try {
  const job = await request({ method: "POST", path: `/jobs?${api}`, body: { id: "big", poolInfo: { poolId: "nowhere" } } });
  if (job.status !== 201) throw new Error(job.text);
  const ingestStarted = performance.now();
  const batches = Array.from({ length: Math.ceil(taskCount / 100) }, (_, batch) =>
    Array.from({ length: Math.min(100, taskCount - batch * 100) }, (_, i) => ({ id: `task-${String(batch * 100 + i).padStart(6, "0")}`, commandLine: "/bin/true" })),
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const value = batches[next++];
        const added = await request({ method: "POST", path: `/jobs/big/addtaskcollection?${api}`, body: { value } });
        if (added.status !== 200) throw new Error(added.text);
      }
    }),
  );
  console.log(`${taskCount} tasks added in ${((performance.now() - ingestStarted) / 1000).toFixed(1)} s`);

  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.OPENBATCH_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // Signed in as the bench account, as the sign-in form would leave it.
  await browser.addInitScript((session) => sessionStorage.setItem("openbatch.session", session), JSON.stringify({ kind: "sharedKey", account: account.name, key: account.key }));
  const page = await browser.newPage();
  const shown = (expected) =>
    page.waitForFunction(
      (total) => {
        const text = document.querySelector("[data-testid=progress-text]")?.textContent ?? "";
        const rows = document.querySelectorAll("table[aria-label=Tasks] tbody tr").length;
        return text.includes(`of ${total} completed`) && rows === 100 ? performance.now() : false;
      },
      expected,
      { timeout: 60_000, polling: "raf" },
    );
  const times = [];
  for (let i = 0; i < loads; i++) {
    await page.goto("about:blank");
    await page.goto(`${server.url}/ui/#/jobs/big`);
    times.push(await (await shown(taskCount)).jsonValue());
  }
  const [cold, ...warm] = times;
  const sorted = [...warm].sort((a, b) => a - b);
  console.log(`job view of ${taskCount} tasks, navigation → counts and first 100 tasks shown:`);
  console.log(`  cold (first load, empty cache): ${cold.toFixed(0)} ms`);
  console.log(`  warm (${warm.length} loads): median ${percentile(sorted, 0.5).toFixed(0)} ms, max ${sorted.at(-1).toFixed(0)} ms`);

  const pageTimes = [];
  for (let i = 0; i < 5; i++) {
    const before = await page.evaluate(() => performance.now());
    const firstBefore = await page.locator("table[aria-label=Tasks] tbody tr td a").first().innerText();
    await page.getByRole("button", { name: "Next page" }).click();
    const after = await page.waitForFunction((first) => {
      const now = document.querySelector("table[aria-label=Tasks] tbody tr td a")?.textContent;
      return now !== undefined && now !== first ? performance.now() : false;
    }, firstBefore, { polling: "raf" });
    pageTimes.push((await after.jsonValue()) - before);
  }
  console.log(`  next page: ${pageTimes.map((ms) => ms.toFixed(0)).join(", ")} ms`);
  const filterStarted = await page.evaluate(() => performance.now());
  await page.getByLabel("Id starts with").fill("task-09999");
  await page.getByRole("button", { name: "Apply filter" }).click();
  const filtered = await page.waitForFunction(() => (document.querySelectorAll("table[aria-label=Tasks] tbody tr").length === 10 ? performance.now() : false), undefined, { polling: "raf" });
  console.log(`  filter id prefix (10 of ${taskCount}): ${((await filtered.jsonValue()) - filterStarted).toFixed(0)} ms`);

  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const lines = metrics.split("\n").filter((line) => /^openbatch_(requests_total|request_duration_seconds_(sum|count))\{operation="(Task_List|Job_GetTaskCounts|Job_Get|Task_AddCollection)"/.test(line) || /^openbatch_tasks\{/.test(line));
  console.log("/metrics after the run:");
  for (const line of lines) console.log(`  ${line}`);
} finally {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
  await bench.close();
}
