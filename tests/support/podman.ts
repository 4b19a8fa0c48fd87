/**
 * A throwaway podman world for container tests (docs/containers.md): its own storage, configuration and registry,
 * so that a test never touches the host's images and leaves nothing behind.
 *
 * - `containers.conf`, `storage.conf` and `registries.conf` in a temp directory, named by CONTAINERS_CONF,
 *   CONTAINERS_STORAGE_CONF and CONTAINERS_REGISTRIES_CONF in this process's environment (agents inherit them,
 *   packages/server providers/local); the registry on loopback is declared insecure there (plain HTTP).
 *   `containers.conf` takes `runc` and explicit ulimits: this sandboxed VM has hybrid cgroups, which crun
 *   refuses, and forbids raising RLIMIT_NOFILE/NPROC to podman's defaults (docs/containers.md "Troubleshooting").
 * - A registry: Debian's `docker-registry` on 127.0.0.1 and a free port, basic auth (htpasswd -B from apache2-utils).
 * - podman's events go to a log of this world (`pulls()` counts the image pulls the agents made).
 * - An image built offline: a root file system of busybox-static (a link per applet) `podman import`ed,
 *   then pushed to the registry with credentials.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { waitFor } from "./waitFor.js";

const run = promisify(execFile);

export interface PodmanWorld {
  readonly directory: string;
  /** `127.0.0.1:PORT` */
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  /** The image pushed to the registry (needs the credentials): `127.0.0.1:PORT/openbatch/busybox:1`. */
  readonly image: string;
  /** podman with this world's configuration. */
  podman(...args: string[]): Promise<string>;
  /** Names of the containers that exist (any state). */
  containers(): Promise<string[]>;
  /** How many times an image was pulled in this world so far (podman's events, this world's own log). */
  pulls(): Promise<number>;
  /** Stops the registry, removes every container and image and the directory, restores the environment. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const configVariables = ["CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "CONTAINERS_REGISTRIES_CONF"] as const;

export async function startPodmanWorld(): Promise<PodmanWorld> {
  const directory = mkdtempSync(join(tmpdir(), "openbatch-podman-"));
  chmodSync(directory, 0o755);
  const port = await freePort();
  const registry = `127.0.0.1:${port}`;
  const username = "batchuser";
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  writeFileSync(
    join(directory, "containers.conf"),
    [
      "[containers]",
      'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]',
      "[engine]",
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(directory, "events.log")}"`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(directory, "storage.conf"), ["[storage]", 'driver = "overlay"', `graphroot = "${join(directory, "storage")}"`, `runroot = "${join(directory, "run")}"`, ""].join("\n"));
  writeFileSync(join(directory, "registries.conf"), ['unqualified-search-registries = []', "", "[[registry]]", `location = "${registry}"`, "insecure = true", ""].join("\n"));
  const saved = Object.fromEntries(configVariables.map((name) => [name, process.env[name]]));
  process.env["CONTAINERS_CONF"] = join(directory, "containers.conf");
  process.env["CONTAINERS_STORAGE_CONF"] = join(directory, "storage.conf");
  process.env["CONTAINERS_REGISTRIES_CONF"] = join(directory, "registries.conf");
  const podman = async (...args: string[]): Promise<string> => (await run("podman", args, { maxBuffer: 16 * 1024 * 1024 })).stdout;

  // The registry, with basic auth.
  const { stdout: htpasswd } = await run("htpasswd", ["-Bbn", username, password]);
  writeFileSync(join(directory, "htpasswd"), htpasswd);
  writeFileSync(
    join(directory, "registry.yml"),
    [
      "version: 0.1",
      "log: {level: warn}",
      `storage: {filesystem: {rootdirectory: ${join(directory, "registry")}}}`,
      `http: {addr: "${registry}"}`,
      `auth: {htpasswd: {realm: openbatch-test, path: ${join(directory, "htpasswd")}}}`,
      "",
    ].join("\n"),
  );
  const registryProcess: ChildProcess = spawn("/usr/bin/docker-registry", ["serve", join(directory, "registry.yml")], { stdio: "ignore" });
  const dispose = async (): Promise<void> => {
    registryProcess.kill("SIGKILL");
    await podman("rm", "--all", "--force", "--time=0").catch(() => "");
    await podman("rmi", "--all", "--force").catch(() => "");
    // Overlay mounts podman may still hold under the storage directory.
    await run("umount", ["-R", join(directory, "storage", "overlay")]).catch(() => undefined);
    for (const name of configVariables) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await waitFor("the registry to listen", async () => (await fetch(`http://${registry}/v2/`)).status === 401, 30_000, 100);

    // An image from Debian's busybox-static, built without any network.
    const rootfs = join(directory, "rootfs");
    for (const sub of ["bin", "tmp", "etc"]) mkdirSync(join(rootfs, sub), { recursive: true });
    copyFileSync("/bin/busybox", join(rootfs, "bin", "busybox"));
    chmodSync(join(rootfs, "bin", "busybox"), 0o755);
    chmodSync(join(rootfs, "tmp"), 0o1777);
    // Relative links (busybox --install would point them at this temp directory's path).
    const { stdout: applets } = await run("/bin/busybox", ["--list"]);
    for (const applet of applets.split("\n").filter((name) => name !== "" && name !== "busybox")) symlinkSync("busybox", join(rootfs, "bin", applet));
    writeFileSync(join(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
    await run("tar", ["-C", rootfs, "-cf", join(directory, "rootfs.tar"), "."]);
    const image = `${registry}/openbatch/busybox:1`;
    await podman("import", "--change", "ENV=PATH=/bin", "--change", "CMD=/bin/sh", join(directory, "rootfs.tar"), image);
    await podman("push", "--creds", `${username}:${password}`, image);
    // Only the registry has it now: nodes must pull it, with the pool's credentials.
    await podman("rmi", image);
    return {
      directory,
      registry,
      username,
      password,
      image,
      podman,
      async containers() {
        return (await podman("ps", "--all", "--format", "{{.Names}}")).split("\n").filter((line) => line !== "");
      },
      async pulls() {
        return (await podman("events", "--stream=false", "--filter", "event=pull", "--format", "{{.Name}}")).split("\n").filter((line) => line !== "").length;
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
