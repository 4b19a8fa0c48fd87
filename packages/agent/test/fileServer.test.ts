import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createFileServer, silentLogger, type FileServer, type NodeFileProperties } from "../src/index.js";

const token = "file-server-test-token";

describe("node-file server", () => {
  let directory: string;
  let root: string;
  let outside: string;
  let server: FileServer;

  const call = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } });
  const file = (path: string, init: RequestInit = {}): Promise<Response> => call(`/nodes/node-1/file?path=${encodeURIComponent(path)}`, init);
  const list = async (path: string, recursive = false): Promise<NodeFileProperties[]> => {
    const response = await call(`/nodes/node-1/list?path=${encodeURIComponent(path)}&recursive=${recursive}`);
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { files: NodeFileProperties[] }).files;
  };
  const expectError = async (response: Response, status: number, code: string): Promise<void> => {
    const body = (await response.json()) as { code: string; message: string };
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.code, code);
    assert.equal(typeof body.message, "string");
  };

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "ob-agent-files-"));
    root = join(directory, "pool", "node-1");
    outside = join(directory, "outside");
    await mkdir(join(root, "startup", "wd", "sub"), { recursive: true });
    await mkdir(join(root, "shared"), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(root, "startup", "stdout.txt"), "hello world");
    await writeFile(join(root, "startup", "stderr.txt"), "");
    await writeFile(join(root, "startup", "wd", "sub", "deep.txt"), "deep");
    await writeFile(join(outside, "secret.txt"), "secret");
    await symlink("/etc", join(root, "etc-link"));
    await symlink("/etc/passwd", join(root, "shared", "passwd-link"));
    await symlink(outside, join(root, "outside-link"));
    await symlink(join(root, "startup", "stdout.txt"), join(root, "inside-link"));
    await symlink(join(root, "missing"), join(root, "dangling-link"));
    server = await createFileServer({ token, logger: silentLogger, nodeRoot: (nodeId) => (nodeId === "node-1" ? root : undefined) });
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  describe("authentication", () => {
    it("refuses requests without the token or with another one", async () => {
      await expectError(await fetch(`${server.url}/nodes/node-1/list`), 401, "AuthenticationFailed");
      await expectError(await fetch(`${server.url}/nodes/node-1/list`, { headers: { authorization: "Bearer wrong" } }), 401, "AuthenticationFailed");
      await expectError(await fetch(`${server.url}/nodes/node-1/list`, { headers: { authorization: token } }), 401, "AuthenticationFailed");
    });
  });

  describe("list", () => {
    it("lists the root's entries, leaving out links that leave the node", async () => {
      const names = (await list("")).map((entry) => entry.name);
      assert.deepEqual(names, ["inside-link", "shared", "startup"]);
    });

    it("lists recursively with names relative to the node root", async () => {
      const files = await list("startup", true);
      assert.deepEqual(
        files.map((entry) => entry.name),
        ["startup/stderr.txt", "startup/stdout.txt", "startup/wd", "startup/wd/sub", "startup/wd/sub/deep.txt"],
      );
      const stdout = files.find((entry) => entry.name === "startup/stdout.txt");
      assert.equal(stdout?.isDirectory, false);
      assert.equal(stdout?.contentLength, 11);
      assert.match(stdout?.fileMode ?? "", /^0100[0-7]{3}$/);
      assert.ok(!Number.isNaN(Date.parse(stdout?.lastModified ?? "")));
      const wd = files.find((entry) => entry.name === "startup/wd");
      assert.equal(wd?.isDirectory, true);
      assert.equal(wd?.contentLength, 0);
      assert.match(wd?.fileMode ?? "", /^0040[0-7]{3}$/);
    });

    it("lists the root recursively without following links", async () => {
      const names = (await list("", true)).map((entry) => entry.name);
      assert.ok(names.includes("startup/wd/sub/deep.txt"));
      assert.ok(names.includes("inside-link"));
      assert.ok(!names.some((name) => name.includes("passwd") || name.startsWith("etc-link") || name.startsWith("outside-link")));
    });

    it("answers FileNotFound for a missing directory and NotADirectory for a file", async () => {
      await expectError(await call("/nodes/node-1/list?path=nope"), 404, "FileNotFound");
      await expectError(await call("/nodes/node-1/list?path=startup/stdout.txt"), 400, "NotADirectory");
    });
  });

  describe("get and head", () => {
    it("streams a file with its properties", async () => {
      const response = await file("startup/stdout.txt");
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "hello world");
      assert.equal(response.headers.get("content-length"), "11");
      assert.equal(response.headers.get("content-type"), "application/octet-stream");
      assert.equal(response.headers.get("x-ob-is-directory"), "false");
      assert.match(response.headers.get("x-ob-file-mode") ?? "", /^0100[0-7]{3}$/);
      const modified = (await stat(join(root, "startup", "stdout.txt"))).mtime;
      assert.equal(response.headers.get("last-modified"), modified.toUTCString());
      assert.equal(response.headers.get("x-ob-last-modified"), modified.toISOString());
    });

    it("serves an empty file", async () => {
      const response = await file("startup/stderr.txt");
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "");
      assert.equal(response.headers.get("content-length"), "0");
    });

    it("serves a byte range with status 200 and content-range", async () => {
      const cases: [string, string, string][] = [
        ["bytes=0-4", "hello", "bytes 0-4/11"],
        ["bytes=6-", "world", "bytes 6-10/11"],
        ["bytes=-5", "world", "bytes 6-10/11"],
        ["bytes=6-100", "world", "bytes 6-10/11"],
      ];
      for (const [range, body, contentRange] of cases) {
        const response = await file("startup/stdout.txt", { headers: { range } });
        assert.equal(response.status, 200, range);
        assert.equal(await response.text(), body, range);
        assert.equal(response.headers.get("content-range"), contentRange, range);
        assert.equal(response.headers.get("content-length"), String(body.length), range);
      }
      const ocp = await file("startup/stdout.txt", { headers: { "ocp-range": "bytes=1-3" } });
      assert.equal(await ocp.text(), "ell");
    });

    it("refuses ranges it cannot satisfy with InvalidRange", async () => {
      for (const range of ["bytes=20-30", "bytes=5-2", "bytes=0-1,3-4", "items=0-1", "bytes=-0"]) {
        await expectError(await file("startup/stdout.txt", { headers: { range } }), 416, "InvalidRange");
      }
    });

    it("answers HEAD with the headers and no body", async () => {
      const response = await file("startup/stdout.txt", { method: "HEAD" });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-length"), "11");
      assert.equal(response.headers.get("x-ob-is-directory"), "false");
      assert.equal(await response.text(), "");
    });

    it("answers for a directory with x-ob-is-directory and no body", async () => {
      for (const method of ["GET", "HEAD"]) {
        const response = await file("startup/wd", { method });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-ob-is-directory"), "true");
        assert.equal(response.headers.get("content-length"), "0");
        assert.equal(await response.text(), "");
      }
    });

    it("follows a link that stays inside the node", async () => {
      const response = await file("inside-link");
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "hello world");
    });

    it("answers FileNotFound for missing files and dangling links", async () => {
      await expectError(await file("startup/none.txt"), 404, "FileNotFound");
      await expectError(await file("startup/stdout.txt/below"), 404, "FileNotFound");
      await expectError(await file("dangling-link"), 404, "FileNotFound");
    });
  });

  describe("path escapes are refused", () => {
    const escapes: [string, string][] = [
      ["dot-dot", "path=../../outside/secret.txt"],
      ["dot-dot inside a path", "path=startup/../../pool"],
      ["a lone dot-dot", "path=.."],
      ["percent-encoded dot-dot", "path=%2e%2e%2f%2e%2e%2foutside%2fsecret.txt"],
      ["upper-case percent-encoded dot-dot", "path=%2E%2E/%2E%2E/outside/secret.txt"],
      ["an absolute path", "path=%2Fetc%2Fpasswd"],
      ["a NUL byte", "path=startup%00/stdout.txt"],
      ["a link to /etc", "path=etc-link/passwd"],
      ["a link to /etc itself", "path=etc-link"],
      ["a link to /etc/passwd", "path=shared/passwd-link"],
      ["a link to a directory outside", "path=outside-link/secret.txt"],
    ];
    for (const [name, query] of escapes) {
      it(`refuses ${name} for get, head, list and delete`, async () => {
        await expectError(await call(`/nodes/node-1/file?${query}`), 400, "InvalidFilePath");
        const head = await call(`/nodes/node-1/file?${query}`, { method: "HEAD" });
        assert.equal(head.status, 400);
        await expectError(await call(`/nodes/node-1/list?${query}`), 400, "InvalidFilePath");
        if (!name.startsWith("a link to")) {
          await expectError(await call(`/nodes/node-1/file?${query}&recursive=true`, { method: "DELETE" }), 400, "InvalidFilePath");
        }
      });
    }

    it("never touches what a link points to when the link is deleted", async () => {
      await symlink(outside, join(root, "startup", "wd", "link-to-delete"));
      const response = await file("startup/wd/link-to-delete", { method: "DELETE" });
      assert.equal(response.status, 200);
      assert.equal(await readFile(join(outside, "secret.txt"), "utf8"), "secret");
      await assert.rejects(stat(join(root, "startup", "wd", "link-to-delete")));
    });

    it("refuses deleting through a link that leaves the node", async () => {
      await expectError(await file("outside-link/secret.txt", { method: "DELETE" }), 400, "InvalidFilePath");
      assert.equal(await readFile(join(outside, "secret.txt"), "utf8"), "secret");
    });

    it("refuses deleting the node root", async () => {
      await expectError(await file("", { method: "DELETE" }), 400, "InvalidFilePath");
      await expectError(await file(".", { method: "DELETE", headers: {} }), 400, "InvalidFilePath");
    });
  });

  describe("delete", () => {
    it("deletes a file", async () => {
      await writeFile(join(root, "shared", "gone.txt"), "x");
      const response = await file("shared/gone.txt", { method: "DELETE" });
      assert.equal(response.status, 200);
      await assert.rejects(stat(join(root, "shared", "gone.txt")));
      await expectError(await file("shared/gone.txt", { method: "DELETE" }), 404, "FileNotFound");
    });

    it("deletes an empty directory, and a full one only recursively", async () => {
      await mkdir(join(root, "shared", "empty"));
      assert.equal((await file("shared/empty", { method: "DELETE" })).status, 200);
      await mkdir(join(root, "shared", "full", "inner"), { recursive: true });
      await writeFile(join(root, "shared", "full", "inner", "f.txt"), "x");
      await expectError(await file("shared/full", { method: "DELETE" }), 409, "DirectoryNotEmpty");
      const response = await call(`/nodes/node-1/file?path=shared/full&recursive=true`, { method: "DELETE" });
      assert.equal(response.status, 200);
      await assert.rejects(stat(join(root, "shared", "full")));
    });
  });

  describe("routing", () => {
    it("answers NodeNotFound for nodes it does not host", async () => {
      await expectError(await call("/nodes/other/list"), 404, "NodeNotFound");
      await expectError(await call("/nodes/bad%2F..%2Fid/list"), 404, "NodeNotFound");
      await expectError(await call("/nodes/%E0%A4%A/list"), 404, "NodeNotFound");
    });

    it("answers unknown routes and verbs", async () => {
      await expectError(await call("/nodes/node-1/other"), 404, "ResourceNotFound");
      await expectError(await call("/"), 404, "ResourceNotFound");
      await expectError(await call("/nodes/node-1/file?path=x", { method: "POST" }), 405, "UnsupportedHttpVerb");
      await expectError(await call("/nodes/node-1/list", { method: "DELETE" }), 405, "UnsupportedHttpVerb");
    });
  });
});
