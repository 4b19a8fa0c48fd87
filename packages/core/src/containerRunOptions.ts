/**
 * `containerRunOptions` (TaskContainerSettings): the extra `create` options a container task asks for, checked
 * against what a shared host can allow (docs/containers.md, docs/security.md). The same rules run on the server
 * (a 400 naming the option when a task is added) and on the node (before the container is made), and the node
 * builds the runtime's arguments from the parsed result, never from the raw text.
 *
 * Parsing: POSIX shell words (shell-quote), without expansion — operators, globs, comments and `$` expansions are
 * refused rather than given a meaning. Options are GNU style as podman and docker read them: `--name value`,
 * `--name=value`, `-x value`, `-xvalue`, `-x=value` and bundled boolean short flags (`-it`). Anything that is not an
 * option (a word that would be taken for the image) is refused.
 *
 * Each known option is in one class:
 * - `managed`   OpenBatch sets it itself or relies on its absence (name, removal, detaching, restart policy, logs,
 *               the host environment): always refused;
 * - `dangerous` it reaches outside the container (privileges, capabilities, host namespaces, devices, host files,
 *               another container's namespaces, the identity the task runs as): refused unless the account is
 *               unrestricted;
 * - `safe`      resource limits, environment, labels, DNS, entrypoint, tmpfs…
 * An option OpenBatch does not know is treated as dangerous. `--volume` and `--mount` are judged by what they bind:
 * a path of the node (as tasks see it, under `/mnt/batch/tasks`), an anonymous volume or a tmpfs is safe; a
 * read-only bind of the host's CA certificates is safe; a named volume or any other host path is dangerous.
 * `--network`, `--pid`, `--ipc`, `--uts`, `--cgroupns`, `--userns` and `--security-opt` are judged by their value.
 */
import { parse } from "shell-quote";

/** Where a container task sees its node's directory tree (as in the sandbox of process tasks). */
export const containerNodeRoot = "/mnt/batch/tasks";

/** Host paths any task may bind read-only: public CA certificates (Nextflow binds them into every task). */
export const readOnlyHostPaths: readonly string[] = ["/etc/ssl/certs", "/etc/pki/ca-trust", "/etc/pki/tls/certs", "/usr/share/ca-certificates"];

export class ContainerOptionsError extends Error {
  override readonly name = "ContainerOptionsError";
  constructor(
    /** The option (or word) refused. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

type OptionClass = "managed" | "dangerous" | "safe";

interface OptionSpec {
  readonly takesValue: boolean;
  readonly kind: OptionClass | "volume" | "mount" | "namespace" | "securityOpt" | "network";
}

const flag = (kind: OptionSpec["kind"]): OptionSpec => ({ takesValue: false, kind });
const valued = (kind: OptionSpec["kind"]): OptionSpec => ({ takesValue: true, kind });

const longOptions: Readonly<Record<string, OptionSpec>> = {
  // Managed by OpenBatch.
  name: valued("managed"),
  rm: flag("managed"),
  detach: flag("managed"),
  replace: flag("managed"),
  pod: valued("managed"),
  "pod-id-file": valued("managed"),
  cidfile: valued("managed"),
  pidfile: valued("managed"),
  "conmon-pidfile": valued("managed"),
  attach: valued("managed"),
  restart: valued("managed"),
  sdnotify: valued("managed"),
  "log-driver": valued("managed"),
  "log-opt": valued("managed"),
  "env-host": flag("managed"),
  "preserve-fds": valued("managed"),
  "detach-keys": valued("managed"),
  "sig-proxy": flag("managed"),
  // Out of the container: only for unrestricted accounts.
  privileged: flag("dangerous"),
  "cap-add": valued("dangerous"),
  device: valued("dangerous"),
  "device-cgroup-rule": valued("dangerous"),
  "device-read-bps": valued("dangerous"),
  "device-read-iops": valued("dangerous"),
  "device-write-bps": valued("dangerous"),
  "device-write-iops": valued("dangerous"),
  gpus: valued("dangerous"),
  "env-file": valued("dangerous"),
  "label-file": valued("dangerous"),
  "volumes-from": valued("dangerous"),
  rootfs: flag("dangerous"),
  "init-path": valued("dangerous"),
  secret: valued("dangerous"),
  "seccomp-policy": valued("dangerous"),
  "cgroup-parent": valued("dangerous"),
  "cgroup-conf": valued("dangerous"),
  cgroups: valued("dangerous"),
  user: valued("dangerous"),
  "group-add": valued("dangerous"),
  hostuser: valued("dangerous"),
  "oom-score-adj": valued("dangerous"),
  "oom-kill-disable": flag("dangerous"),
  requires: valued("dangerous"),
  "chrootdirs": valued("dangerous"),
  "personality": valued("dangerous"),
  "uidmap": valued("dangerous"),
  "gidmap": valued("dangerous"),
  "subuidname": valued("dangerous"),
  "subgidname": valued("dangerous"),
  // Judged by value.
  volume: valued("volume"),
  mount: valued("mount"),
  network: valued("network"),
  net: valued("network"),
  pid: valued("namespace"),
  ipc: valued("namespace"),
  uts: valued("namespace"),
  cgroupns: valued("namespace"),
  userns: valued("namespace"),
  "security-opt": valued("securityOpt"),
  // Inside the container.
  "add-host": valued("safe"),
  annotation: valued("safe"),
  arch: valued("safe"),
  "blkio-weight": valued("safe"),
  "cap-drop": valued("safe"),
  "cpu-period": valued("safe"),
  "cpu-quota": valued("safe"),
  "cpu-rt-period": valued("safe"),
  "cpu-rt-runtime": valued("safe"),
  "cpu-shares": valued("safe"),
  cpus: valued("safe"),
  "cpuset-cpus": valued("safe"),
  "cpuset-mems": valued("safe"),
  dns: valued("safe"),
  "dns-opt": valued("safe"),
  "dns-option": valued("safe"),
  "dns-search": valued("safe"),
  entrypoint: valued("safe"),
  env: valued("safe"),
  "env-merge": valued("safe"),
  expose: valued("safe"),
  "health-cmd": valued("safe"),
  "health-interval": valued("safe"),
  "health-retries": valued("safe"),
  "health-start-period": valued("safe"),
  "health-timeout": valued("safe"),
  hostname: valued("safe"),
  "http-proxy": flag("safe"),
  init: flag("safe"),
  interactive: flag("safe"),
  label: valued("safe"),
  "mac-address": valued("safe"),
  memory: valued("safe"),
  "memory-reservation": valued("safe"),
  "memory-swap": valued("safe"),
  "memory-swappiness": valued("safe"),
  "no-healthcheck": flag("safe"),
  "no-hosts": flag("safe"),
  os: valued("safe"),
  "passwd-entry": valued("safe"),
  "pids-limit": valued("safe"),
  platform: valued("safe"),
  publish: valued("safe"),
  "publish-all": flag("safe"),
  pull: valued("safe"),
  quiet: flag("safe"),
  "read-only": flag("safe"),
  "read-only-tmpfs": flag("safe"),
  "shm-size": valued("safe"),
  "stop-signal": valued("safe"),
  "stop-timeout": valued("safe"),
  sysctl: valued("safe"),
  systemd: valued("safe"),
  timeout: valued("safe"),
  tmpfs: valued("safe"),
  tty: flag("safe"),
  tz: valued("safe"),
  ulimit: valued("safe"),
  umask: valued("safe"),
  variant: valued("safe"),
  workdir: valued("safe"),
};

const shortOptions: Readonly<Record<string, string>> = {
  a: "attach",
  c: "cpu-shares",
  d: "detach",
  e: "env",
  h: "hostname",
  i: "interactive",
  l: "label",
  m: "memory",
  p: "publish",
  P: "publish-all",
  q: "quiet",
  t: "tty",
  u: "user",
  v: "volume",
  w: "workdir",
};

/** One option as the runtime will get it: its long name and value, and for binds the host path it names. */
export interface ContainerRunOption {
  /** Long name without dashes (`volume`). */
  readonly name: string;
  readonly value?: string;
  /** For `volume`/`mount` of a node path: that path as tasks see it (under `/mnt/batch/tasks`). */
  readonly nodePath?: string;
}

export interface ContainerRunPolicy {
  /** The account may use dangerous options (a server setting per account). */
  readonly unrestricted: boolean;
}

/** Parses `text` and checks each option against `policy`. Throws ContainerOptionsError naming what is refused. */
export function checkContainerRunOptions(text: string | undefined, policy: ContainerRunPolicy): ContainerRunOption[] {
  if (text === undefined || text.trim() === "") return [];
  const words = shellWords(text);
  const options: ContainerRunOption[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    const next = (): string => {
      const value = words[index + 1];
      if (value === undefined) throw new ContainerOptionsError(word, `The option '${word}' needs a value.`);
      index++;
      return value;
    };
    if (word.startsWith("--") && word.length > 2) {
      const equals = word.indexOf("=");
      const name = equals === -1 ? word.slice(2) : word.slice(2, equals);
      const spec = longOptions[name];
      if (spec === undefined) options.push(judge(word, name, undefined, { takesValue: false, kind: "dangerous" }, policy, "is not an option OpenBatch knows to be safe"));
      else if (!spec.takesValue) {
        const value = equals === -1 ? undefined : word.slice(equals + 1);
        options.push(judge(word, name, value, spec, policy));
      } else options.push(judge(word, name, equals === -1 ? next() : word.slice(equals + 1), spec, policy));
      continue;
    }
    if (word.startsWith("-") && word.length > 1 && word !== "--") {
      // Bundled short flags (`-it`), then at most one short option taking a value, whose value may be attached.
      for (let at = 1; at < word.length; at++) {
        const letter = word[at] as string;
        const name = shortOptions[letter];
        if (name === undefined) throw new ContainerOptionsError(word, `'-${letter}' in '${word}' is not an option OpenBatch knows.`);
        const spec = longOptions[name] as OptionSpec;
        if (!spec.takesValue) {
          options.push(judge(`-${letter}`, name, undefined, spec, policy));
          continue;
        }
        const rest = word.slice(at + 1);
        const value = rest === "" ? next() : rest.startsWith("=") ? rest.slice(1) : rest;
        options.push(judge(`-${letter}`, name, value, spec, policy));
        break;
      }
      continue;
    }
    throw new ContainerOptionsError(word, `'${word}' is not an option: containerRunOptions may hold options only (the image and command come from imageName and the command line).`);
  }
  return options;
}

/** The runtime arguments of checked options; node paths become `hostPath(nodePath)`. */
export function containerRunArguments(options: readonly ContainerRunOption[], hostPath: (nodePath: string) => string): string[] {
  return options.map((option) => {
    if (option.value === undefined) return `--${option.name}`;
    if (option.nodePath === undefined) return `--${option.name}=${option.value}`;
    if (option.name === "volume") {
      const [, ...rest] = option.value.split(":");
      return `--volume=${[hostPath(option.nodePath), ...rest].join(":")}`;
    }
    const fields = option.value.split(",").map((field) => (/^(src|source)=/.test(field) ? `${field.slice(0, field.indexOf("="))}=${hostPath(option.nodePath as string)}` : field));
    return `--mount=${fields.join(",")}`;
  });
}

function shellWords(text: string): string[] {
  const expansions: string[] = [];
  const entries = parse(text, (key) => {
    expansions.push(key);
    return "";
  });
  if (expansions.length > 0) {
    throw new ContainerOptionsError(`$${expansions[0] as string}`, `containerRunOptions are not expanded by a shell: '$${expansions[0] as string}' would have no value (quote a literal '$' with single quotes).`);
  }
  return entries.map((entry) => {
    if (typeof entry === "string") return entry;
    const shown = "op" in entry ? (entry.op === "glob" ? entry.pattern : entry.op) : `#${entry.comment}`;
    throw new ContainerOptionsError(shown, `containerRunOptions are options, not a shell command: '${shown}' is not allowed (quote it if it is part of a value).`);
  });
}

function refuse(word: string, reason: string): never {
  throw new ContainerOptionsError(word, `The option '${word}' ${reason}.`);
}

const dangerousReason = "reaches outside the container (host privileges, devices, files or namespaces, or the task's identity); this account may not use it";

function judge(word: string, name: string, value: string | undefined, spec: OptionSpec, policy: ContainerRunPolicy, unknownReason?: string): ContainerRunOption {
  const option = value === undefined ? { name } : { name, value };
  switch (spec.kind) {
    case "managed":
      return refuse(word, "is set by OpenBatch itself and cannot be given in containerRunOptions");
    case "safe":
      return option;
    case "dangerous":
      if (policy.unrestricted) return option;
      return refuse(word, unknownReason === undefined ? dangerousReason : `${unknownReason}; this account may not use it`);
    case "network":
      // Tasks share the host's network, as process tasks and Azure's container tasks do: asking for it, or for
      // less (none, a private bridge, slirp4netns, pasta), is fine; another container's namespace is not.
      if (value !== undefined && /^(host|none|bridge|private|slirp4netns|pasta)(:.*)?$/.test(value)) return option;
      if (policy.unrestricted) return option;
      return refuse(word, `'${value ?? ""}' joins a namespace outside the container; this account may not use it`);
    case "namespace":
      if (value === "private" || (name !== "userns" && (value === "shareable" || value === "none")) || (name === "userns" && value === "")) return option;
      if (policy.unrestricted) return option;
      return refuse(word, `'${value ?? ""}' shares a namespace of the host or of another container; this account may not use it`);
    case "securityOpt":
      if (value !== undefined && /^(no-new-privileges(=true)?|no-new-privileges:true|mask=.*)$/.test(value)) return option;
      if (policy.unrestricted) return option;
      return refuse(word, `'${value ?? ""}' weakens the container's confinement; this account may not use it`);
    case "volume":
      return { ...option, ...bindOf(word, volumeSource(value ?? ""), volumeReadOnly(value ?? ""), policy) };
    case "mount":
      return { ...option, ...mountOf(word, value ?? "", policy) };
  }
}

/** `-v SRC:DST[:OPTS]` or `-v DST` (an anonymous volume). */
function volumeSource(value: string): string | undefined {
  const parts = value.split(":");
  return parts.length === 1 ? undefined : parts[0];
}

function volumeReadOnly(value: string): boolean {
  const parts = value.split(":");
  return parts.length === 3 && (parts[2] as string).split(",").includes("ro");
}

function mountOf(word: string, value: string, policy: ContainerRunPolicy): Partial<ContainerRunOption> {
  const fields = new Map<string, string>();
  for (const field of value.split(",")) {
    const equals = field.indexOf("=");
    fields.set((equals === -1 ? field : field.slice(0, equals)).toLowerCase(), equals === -1 ? "true" : field.slice(equals + 1));
  }
  const type = fields.get("type") ?? "volume";
  const source = fields.get("source") ?? fields.get("src");
  const readOnly = ["ro", "readonly"].some((key) => fields.has(key) && fields.get(key) !== "false");
  if (type === "tmpfs" || type === "devpts" || type === "image") return {};
  if (type === "volume") {
    if (source === undefined) return {};
    if (policy.unrestricted) return {};
    return refuse(word, `'${value}' names a volume, which every container of the host shares; this account may not use it`);
  }
  if (type !== "bind") {
    if (policy.unrestricted) return {};
    return refuse(word, `'${value}' is a mount type OpenBatch does not know to be safe; this account may not use it`);
  }
  return bindOf(word, source, readOnly, policy);
}

/** The bind's node path (translated by the node), or nothing for what needs no translation; refuses the rest. */
function bindOf(word: string, source: string | undefined, readOnly: boolean, policy: ContainerRunPolicy): Partial<ContainerRunOption> {
  if (source === undefined) return {};
  if (!source.startsWith("/")) {
    if (policy.unrestricted) return {};
    return refuse(word, `'${source}' names a volume, which every container of the host shares; this account may not use it`);
  }
  const normalized = normalizePath(source);
  if (normalized === undefined) return refuse(word, `'${source}' is not a plain absolute path ('.' and '..' are not allowed)`);
  if (normalized === containerNodeRoot || normalized.startsWith(`${containerNodeRoot}/`)) return { nodePath: normalized };
  if (readOnly && readOnlyHostPaths.some((path) => normalized === path || normalized.startsWith(`${path}/`))) return {};
  if (policy.unrestricted) return {};
  return refuse(
    word,
    `binds the host path '${source}', outside the node (only paths under ${containerNodeRoot} and, read-only, the host's CA certificates are allowed); this account may not use it`,
  );
}

function normalizePath(path: string): string | undefined {
  const segments = path.split("/").filter((segment) => segment !== "");
  if (segments.some((segment) => segment === "." || segment === "..")) return undefined;
  return `/${segments.join("/")}`;
}

/**
 * An image reference made fully qualified the way docker reads it (Azure's rule): no registry → `docker.io`, a
 * one-part name → `library/…`, no tag or digest → `:latest`. Undefined when it is not a valid reference.
 */
export function qualifiedImageName(imageName: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9._/:@-]*$/i.test(imageName) || imageName.length > 1024) return undefined;
  const slash = imageName.indexOf("/");
  const first = slash === -1 ? "" : imageName.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const registry = hasRegistry ? first : "docker.io";
  let path = hasRegistry ? imageName.slice(slash + 1) : imageName;
  if (path === "") return undefined;
  const digestAt = path.indexOf("@");
  const lastSegment = path.slice(path.lastIndexOf("/") + 1);
  if (digestAt === -1 && !lastSegment.includes(":")) path = `${path}:latest`;
  if (registry === "docker.io" && !path.includes("/")) path = `library/${path}`;
  const repository = path.split(/[:@]/)[0] as string;
  // Repository names are lower case (docker's grammar); registries are host names and may not be.
  if (repository !== repository.toLowerCase() || repository.split("/").some((part) => part === "" || !/^[a-z0-9]+([._-][a-z0-9]+)*$/.test(part))) return undefined;
  return `${registry}/${path}`;
}

/** The registry server of a qualified image name (`docker.io`, `myregistry.azurecr.io`, `127.0.0.1:5000`). */
export function imageRegistry(qualifiedName: string): string {
  return qualifiedName.slice(0, qualifiedName.indexOf("/"));
}

/**
 * Which container runtimes an agent may use, from `OPENBATCH_AGENT_CONTAINER_RUNTIME` (docs/containers.md): none
 * (`off`), podman then docker (unset), one of them by name, or a binary by absolute path.
 */
export function containerRuntimeChoice(setting: string | undefined): { readonly off: string } | { readonly candidates: readonly string[] } {
  const choice = setting ?? "";
  if (choice === "off") return { off: "container runtimes are turned off (OPENBATCH_AGENT_CONTAINER_RUNTIME=off)" };
  if (choice === "") return { candidates: ["podman", "docker"] };
  if (choice === "podman" || choice === "docker" || choice.startsWith("/")) return { candidates: [choice] };
  return { off: `OPENBATCH_AGENT_CONTAINER_RUNTIME must be off, podman, docker or an absolute path, not '${choice}'` };
}
