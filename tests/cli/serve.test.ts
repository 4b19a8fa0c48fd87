import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { developmentAccount } from "@openbatch/server";
import { SignJWT } from "jose";
import { apiVersion, batchRequest, signPythonStyle } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const main = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

const children = new Set<ChildProcess>();

/** Starts `openbatch serve` and resolves with its URL once it prints its banner. */
async function serve(args: string[], env: Record<string, string> = {}, logLevel = "warn"): Promise<Running> {
  const portArgs = env["OPENBATCH_PORT"] === undefined ? ["--port", "0"] : [];
  const child = spawn(process.execPath, [main, "serve", ...portArgs, "--log-level", logLevel, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /listening on (http:\/\/\S+)\n[\s\S]*Data directory: /.exec(output);
      if (match !== null) resolve(match[1] as string);
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

async function stop(running: Running, signal: NodeJS.Signals): Promise<number | null> {
  // "close" rather than "exit": it comes after the output pipes are drained, so output() is complete.
  const exited = once(running.child, "close");
  running.child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

describe("openbatch serve", () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "openbatch-serve-"));
  });
  after(() => {
    // A failed assertion must not leave a server running (it would keep the test process alive).
    for (const child of children) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints its endpoint and account, answers /healthz, and stops cleanly on SIGTERM", async () => {
    const running = await serve(["--data-dir", dataDir]);
    assert.match(running.output(), new RegExp(`Accounts: ${developmentAccount.name}`));
    assert.ok(running.url.startsWith("http://127.0.0.1:"));
    assert.equal((await fetch(`${running.url}/healthz`)).status, 200);
    const account = { name: developmentAccount.name, key: developmentAccount.key };
    const created = await batchRequest(running.url, {
      method: "POST",
      path: `/pools?api-version=${apiVersion}`,
      account,
      body: { id: "survivor", vmSize: "standard_d2s_v3", virtualMachineConfiguration: ubuntuVm, targetDedicatedNodes: 0 },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(await stop(running, "SIGTERM"), 0);
    assert.match(running.output(), /SIGTERM received, shutting down/);

    const restarted = await serve(["--data-dir", dataDir]);
    try {
      const fetched = await batchRequest(restarted.url, { path: `/pools/survivor?api-version=${apiVersion}`, account });
      assert.equal(fetched.status, 200);
      assert.equal(fetched.json.id, "survivor");
      assert.equal(fetched.headers.get("etag"), created.headers.get("etag"));
    } finally {
      assert.equal(await stop(restarted, "SIGINT"), 0);
    }
  });

  it("serves configured accounts from --account and OPENBATCH_ACCOUNTS, and not the development account", async () => {
    const key = Buffer.from("configured-account-key-0123456789").toString("base64");
    const other = Buffer.from("environment-account-key-012345678").toString("base64");
    const running = await serve(["--data-dir", dataDir, "--account", `myacct:${key}`], { OPENBATCH_ACCOUNTS: `envacct:${other}` });
    try {
      assert.match(running.output(), /Accounts: envacct, myacct\n/);
      assert.equal((await batchRequest(running.url, { path: `/applications?api-version=${apiVersion}`, account: { name: "myacct", key } })).status, 200);
      assert.equal((await batchRequest(running.url, { path: `/applications?api-version=${apiVersion}`, account: { name: "envacct", key: other } })).status, 200);
      const swapped = await batchRequest(running.url, { path: `/applications?api-version=${apiVersion}`, account: { name: "envacct", key } });
      assert.equal(swapped.status, 403, "each account has its own key");
      const dev = await batchRequest(running.url, { path: `/applications?api-version=${apiVersion}`, account: { name: developmentAccount.name, key: developmentAccount.key } });
      assert.equal(dev.status, 403);
    } finally {
      await stop(running, "SIGTERM");
    }
  });

  it("lets the accounts --unrestricted-container-account names use every containerRunOptions, and says its container runtime", async () => {
    const trusted = { name: "trusted", key: Buffer.from("trusted-account-key-0123456789ab").toString("base64") };
    const other = { name: "other", key: Buffer.from("other-account-key-0123456789abcd").toString("base64") };
    const running = await serve(["--data-dir", dataDir, "--no-task-isolation", "--account", `${trusted.name}:${trusted.key}`, "--account", `${other.name}:${other.key}`, "--unrestricted-container-account", "trusted"]);
    try {
      assert.match(running.output(), /Container runtime: podman\n/);
      const health = (await (await fetch(`${running.url}/healthz`)).json()) as { details: { containerRuntime: { name?: string } } };
      assert.equal(health.details.containerRuntime.name, "podman", JSON.stringify(health.details));
      const call = (account: typeof trusted, path: string, body: object) => batchRequest(running.url, { method: "POST", path: `${path}?api-version=${apiVersion}`, account, body });
      const task = { id: "caps", commandLine: "/bin/true", containerSettings: { imageName: "busybox", containerRunOptions: "--cap-add NET_ADMIN" } };
      for (const account of [trusted, other]) assert.equal((await call(account, "/jobs", { id: "cjob", poolInfo: { poolId: "nopool" } })).status, 201);
      assert.equal((await call(trusted, "/jobs/cjob/tasks", task)).status, 201);
      const refused = await call(other, "/jobs/cjob/tasks", task);
      assert.equal(refused.status, 400, refused.text);
      assert.equal((refused.json.values as { key: string; value: string }[]).find((detail) => detail.key === "PropertyName")?.value, "containerSettings.containerRunOptions");
    } finally {
      await stop(running, "SIGTERM");
    }
    // The environment names them too; an account the server does not serve is refused at start.
    const child = spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, "--no-task-isolation", "--account", `${other.name}:${other.key}`], {
      env: { ...process.env, OPENBATCH_UNRESTRICTED_CONTAINER_ACCOUNTS: "other,nosuch" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "close")) as [number];
    assert.equal(code, 1);
    assert.match(stderr, /unrestrictedContainerAccounts names 'nosuch', which is not an account of this server/);
  });

  it("takes its accounts, port and data directory from the environment alone", async () => {
    const envDataDir = mkdtempSync(join(tmpdir(), "openbatch-serve-env-"));
    const firstKey = Buffer.from("first-environment-account-key-01").toString("base64");
    const secondKey = Buffer.from("second-environment-account-key-2").toString("base64");
    const freePort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const running = await serve([], {
      OPENBATCH_ACCOUNTS: `envfirst:${firstKey},envsecond:${secondKey}`,
      OPENBATCH_PORT: String(freePort),
      OPENBATCH_DATA_DIR: envDataDir,
    });
    try {
      assert.equal(running.url, `http://127.0.0.1:${freePort}`);
      assert.match(running.output(), /Accounts: envfirst, envsecond\n/);
      assert.ok(running.output().includes(`Data directory: ${envDataDir}\n`), running.output());
      for (const account of [{ name: "envfirst", key: firstKey }, { name: "envsecond", key: secondKey }]) {
        const created = await batchRequest(running.url, {
          method: "POST",
          path: `/pools?api-version=${apiVersion}`,
          account,
          body: { id: `${account.name}-pool`, vmSize: "standard_d2s_v3", virtualMachineConfiguration: ubuntuVm, targetDedicatedNodes: 0 },
        });
        assert.equal(created.status, 201, created.text);
        const listed = await batchRequest(running.url, { path: `/pools?api-version=${apiVersion}`, account });
        assert.deepEqual(listed.json.value.map((pool: { id: string }) => pool.id), [`${account.name}-pool`]);
      }
      const dev = await batchRequest(running.url, { path: `/applications?api-version=${apiVersion}`, account: { name: developmentAccount.name, key: developmentAccount.key } });
      assert.equal(dev.status, 403);
      assert.ok(readdirSync(envDataDir).length > 0, "the store lives in OPENBATCH_DATA_DIR");
    } finally {
      await stop(running, "SIGTERM");
      rmSync(envDataDir, { recursive: true, force: true });
    }
  });

  it("never writes keys, signatures or tokens to its output, even at --log-level debug", async () => {
    const logDir = mkdtempSync(join(tmpdir(), "openbatch-serve-logs-"));
    const name = "logacct";
    const key = Buffer.from("log-secret-account-key-0123456789").toString("base64");
    const wrongKey = Buffer.from("log-wrong-account-key-0123456789").toString("base64");
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const publicKeyFile = join(logDir, "bearer-public.pem");
    writeFileSync(publicKeyFile, publicKey.export({ type: "spki", format: "pem" }));
    const issuer = "https://login.example/tenant/";
    const secrets = new Map<string, string>([
      ["the account key", key],
      ["the account key's bytes", Buffer.from(key, "base64").toString("utf8")],
      ["the wrong key", wrongKey],
    ]);
    const running = await serve(["--data-dir", logDir, "--account", `${name}:${key}`, "--jwt-public-key-file", publicKeyFile, "--jwt-issuer", issuer], {}, "debug");
    try {
      const url = new URL(`${running.url}/applications?api-version=${apiVersion}`);
      const send = (authorization: string, target = url) =>
        fetch(target, { headers: { "ocp-date": new Date().toUTCString(), authorization } }).then(async (response) => ({ status: response.status, text: await response.text() }));

      for (const [label, signingKey, status] of [["a good signature", key, 200], ["a bad signature", wrongKey, 403]] as const) {
        const signature = signPythonStyle("GET", url, { "ocp-date": new Date().toUTCString() }, { name, key: signingKey });
        secrets.set(label, signature);
        assert.equal((await send(`SharedKey ${name}:${signature}`)).status, status, label);
      }

      const bearer = (audience: string) =>
        new SignJWT({ oid: "user-1" }).setProtectedHeader({ alg: "RS256" }).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime("10m").sign(privateKey);
      const goodToken = await bearer("https://batch.core.windows.net/");
      const wrongAudienceToken = await bearer("https://management.azure.com/");
      assert.equal((await send(`Bearer ${goodToken}`)).status, 200);
      assert.equal((await send(`Bearer ${wrongAudienceToken}`)).status, 403);

      // Task tokens: one signed with the server's own secret (as a task would get it), and a forged one.
      const taskSecret = Buffer.from(readFileSync(join(logDir, "task-token-secret"), "utf8").trim(), "base64");
      const taskToken = (secret: Uint8Array) =>
        new SignJWT({ acct: name, job: "tokenjob" }).setProtectedHeader({ alg: "HS256" }).setIssuer("openbatch-task-token").setIssuedAt().setExpirationTime("1h").sign(secret);
      const realTaskToken = await taskToken(new Uint8Array(taskSecret));
      const forgedTaskToken = await taskToken(new Uint8Array(32).fill(7));
      const jobUrl = new URL(`${running.url}/jobs/tokenjob?api-version=${apiVersion}`);
      const withTaskToken = await send(`Bearer ${realTaskToken}`, jobUrl);
      assert.equal(withTaskToken.status, 404, withTaskToken.text); // authenticated; the job just does not exist
      assert.equal((await send(`Bearer ${forgedTaskToken}`, jobUrl)).status, 403);

      // Credentials where they do not belong: a bare key as the whole header.
      const bare = await send(key);
      assert.equal(bare.status, 403);
      assert.ok(!bare.text.includes(key), "the error body does not repeat a bare key");

      for (const [label, token] of [["a bearer token", goodToken], ["a refused bearer token", wrongAudienceToken], ["a task token", realTaskToken], ["a forged task token", forgedTaskToken]] as const) {
        secrets.set(label, token);
        secrets.set(`the signature of ${label}`, token.split(".")[2] as string);
      }
    } finally {
      await stop(running, "SIGTERM");
      rmSync(logDir, { recursive: true, force: true });
    }
    const output = running.output();
    // The requests were logged (so the check below looks at real log lines), at debug level.
    assert.match(output, /"status":200/);
    assert.match(output, /"status":403/);
    for (const [label, secret] of secrets) assert.ok(!output.includes(secret), `${label} appears in the output`);
  });

  it("reads accounts from --accounts-file (keys off the command line) and refuses a file other users may read", async () => {
    // The README's own line makes the file.
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const makeFile = /^\(umask 077 && .* > "\$HOME\/openbatch-accounts"\)$/m.exec(readme)?.[0];
    assert.ok(makeFile !== undefined, "README.md shows how to make an accounts file");
    assert.equal(spawnSync("/bin/sh", ["-c", makeFile], { cwd: dataDir, env: { ...process.env, HOME: dataDir } }).status, 0);
    const file = join(dataDir, "openbatch-accounts");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const [name = "", key = ""] = readFileSync(file, "utf8").trim().split(":");
    writeFileSync(file, `# one account per line\n\n${name}:${key}\n`);
    const running = await serve(["--data-dir", dataDir, "--accounts-file", file, "--no-task-isolation"]);
    try {
      assert.match(running.output(), /Accounts: myaccount\n/);
      assert.equal((await batchRequest(running.url, { path: `/applications?api-version=${apiVersion}`, account: { name, key } })).status, 200);
      assert.ok(!readFileSync(`/proc/${running.child.pid}/cmdline`, "utf8").includes(key), "the key is not in argv");
      // Turned off, isolation is announced where an operator looks: the banner, stderr and /healthz.
      assert.match(running.output(), /Task isolation: none\n/);
      // On stderr, which may arrive after the banner on stdout.
      await waitFor("the warning", async () => /WARNING: tasks are not isolated: task isolation is turned off/.test(running.output()), 10_000);
      const health = (await (await fetch(`${running.url}/healthz`)).json()) as { details: { taskIsolation: { mode: string; warning: string } } };
      assert.equal(health.details.taskIsolation.mode, "none");
      assert.match(health.details.taskIsolation.warning, /^tasks are not isolated/);
    } finally {
      await stop(running, "SIGTERM");
    }
    chmodSync(file, 0o644);
    const child = spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, "--accounts-file", file], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, "close")) as [number];
    assert.equal(code, 1);
    assert.match(output, /other users may read it \(mode 644\); make it private: chmod 600/);
    assert.ok(!output.includes(key));
  });

  it("refuses to expose the development account on a non-loopback address", async () => {
    const child = spawn(process.execPath, [main, "serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 1);
    assert.match(stderr, /Refusing to serve the public development account/);
  });

  it("refuses an --account without a name, without repeating the value (it may be a key)", async () => {
    const bareKey = Buffer.from("a-bare-key-passed-as-account-000").toString("base64");
    for (const [args, env] of [[["--account", bareKey], {}], [[], { OPENBATCH_ACCOUNTS: bareKey }]] as const) {
      const child = spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const [code] = (await once(child, "close")) as [number];
      assert.equal(code, 1);
      assert.match(output, /NAME:BASE64KEY/);
      assert.ok(!output.includes(bareKey), `the key is echoed: ${output}`);
    }
  });

  it("refuses a malformed --account", async () => {
    const child = spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, "--account", "Bad Name:xyz"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 1);
    assert.match(stderr, /Account name 'Bad Name'/);
  });
});
