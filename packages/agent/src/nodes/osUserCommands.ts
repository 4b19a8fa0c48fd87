/**
 * The system commands behind node users' OS accounts (shadow-utils: useradd, chpasswd, chage, gpasswd, userdel),
 * run without a shell. Secrets never reach a command line or a log: the password hash goes to `chpasswd -e` on
 * stdin, the SSH key to `tee` on stdin. Files in the account's home are written by processes running as the
 * account (uid/gid dropped), so a symlink the user planted there cannot make root write elsewhere.
 */
import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { DesiredNodeUser } from "@openbatch/protocol";

/** Where shadow-utils live, whatever the agent's own PATH (often without the sbin directories). */
const systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The group whose members may use sudo: Debian's `sudo`, else Red Hat's `wheel`; none when neither exists. */
const adminGroupCandidates = ["sudo", "wheel"] as const;

export const osUserComment = "OpenBatch node user";
export const taskAccountComment = "OpenBatch task identity";

export interface OsAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export class OsUserCommandError extends Error {
  override readonly name = "OsUserCommandError";
}

interface RunOptions {
  readonly input?: string;
  readonly uid?: number;
  readonly gid?: number;
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
}

function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        env: { PATH: systemPath, LC_ALL: "C" },
        timeout: 30_000,
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout });
        const code = typeof error.code === "number" ? error.code : undefined;
        // A non-zero exit is an answer (getent's "no such entry"); not starting or a signal is a failure.
        if (code !== undefined) return resolve({ code, stdout: `${stdout}${stderr === "" ? "" : `\n${stderr}`}` });
        reject(new OsUserCommandError(`${command} failed: ${error.message}`));
      },
    );
    // A command that does not read its input may exit before it is written: that EPIPE is no failure.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input);
  });
}

async function mustRun(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new OsUserCommandError(`${command} exited with code ${result.code}: ${result.stdout.trim().slice(0, 500)}`);
  return result.stdout;
}

/**
 * useradd and userdel exit 1 or 10 when another process holds the lock on /etc/passwd or /etc/group, and userdel 8
 * while a process of the user is still ending: agents of one host changing accounts at the same time meet these,
 * so they are retried a few times with a random pause.
 */
const transientCodes: Readonly<Record<string, readonly number[]>> = { useradd: [1, 10], userdel: [1, 8, 10] };

async function runRetrying(command: "useradd" | "userdel", args: readonly string[]): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await run(command, args);
    if (result.code === 0 || attempt >= 8 || !(transientCodes[command] ?? []).includes(result.code)) return result;
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100 * attempt));
  }
}

/** The account named `name`, or undefined when the system has none. */
export async function findAccount(name: string): Promise<OsAccount | undefined> {
  const result = await run("getent", ["passwd", name]);
  if (result.code === 2) return undefined;
  if (result.code !== 0) throw new OsUserCommandError(`getent passwd exited with code ${result.code}`);
  const fields = result.stdout.trim().split(":");
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  const home = fields[5] ?? "";
  if (fields[0] !== name || !Number.isInteger(uid) || !Number.isInteger(gid) || home === "") throw new OsUserCommandError("getent passwd gave an unexpected entry");
  return { name, uid, gid, home };
}

export async function createAccount(name: string): Promise<OsAccount> {
  const shell = (await exists("/bin/bash")) ? "/bin/bash" : "/bin/sh";
  const created = await runRetrying("useradd", ["--create-home", "--home-dir", join("/home", name), "--shell", shell, "--comment", osUserComment, "--", name]);
  if (created.code !== 0) throw new OsUserCommandError(`useradd exited with code ${created.code}: ${created.stdout.trim().slice(0, 500)}`);
  const account = await findAccount(name);
  if (account === undefined) throw new OsUserCommandError(`useradd did not create '${name}'`);
  return account;
}

/**
 * An account for running tasks (nodes/taskIdentities.ts): no home (a task's HOME is its working directory), no
 * login shell, no password; its own group, as useradd gives every user on Debian and Red Hat.
 */
export async function createTaskAccount(name: string): Promise<OsAccount> {
  const created = await runRetrying("useradd", ["--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment", taskAccountComment, "--", name]);
  if (created.code !== 0) throw new OsUserCommandError(`useradd exited with code ${created.code}: ${created.stdout.trim().slice(0, 500)}`);
  const account = await findAccount(name);
  if (account === undefined) throw new OsUserCommandError(`useradd did not create '${name}'`);
  return account;
}

/** Makes the account match `user`: password (or none), expiry, admin group membership, authorized SSH key. */
export async function configureAccount(account: OsAccount, user: DesiredNodeUser): Promise<void> {
  // '*' matches no password, so only the SSH key can log in (unlike '!', which sshd takes for a locked account).
  await mustRun("chpasswd", ["--encrypted"], { input: `${account.name}:${user.passwordHash ?? "*"}\n` });
  await mustRun("chage", ["--expiredate", accountExpiryDate(user.expiryTime), "--", account.name]);
  await setAdmin(account.name, user.isAdmin);
  await setAuthorizedKey(account, user.sshPublicKey);
}

/**
 * Ends the account's processes (a uid must not outlive its account, to be reused) and deletes it, with its home
 * unless `keepHome` (task accounts have none).
 */
export async function deleteAccount(name: string, keepHome = false): Promise<void> {
  await run("pkill", ["--signal", "KILL", "--euid", name]);
  const result = await runRetrying("userdel", [...(keepHome ? [] : ["--remove"]), "--", name]);
  // 6: no such user (already gone); 12: the home could not be removed — the account itself is gone.
  if (result.code !== 0 && result.code !== 6 && result.code !== 12) throw new OsUserCommandError(`userdel exited with code ${result.code}: ${result.stdout.trim().slice(0, 500)}`);
}

/**
 * shadow(5) expires an account at the start of its expiry day (UTC): the first midnight at or after `expiryTime`,
 * so the account is never refused before the time asked (it may last until the end of that day).
 */
export function accountExpiryDate(expiryTime: string): string {
  const time = Date.parse(expiryTime);
  if (Number.isNaN(time)) throw new OsUserCommandError("the expiry time is not a date");
  const day = 24 * 60 * 60 * 1000;
  return new Date(Math.ceil(time / day) * day).toISOString().slice(0, 10);
}

async function setAdmin(name: string, isAdmin: boolean): Promise<void> {
  for (const group of adminGroupCandidates) {
    const entry = await run("getent", ["group", group]);
    if (entry.code !== 0) continue;
    const members = (entry.stdout.trim().split(":")[3] ?? "").split(",").filter((member) => member !== "");
    const member = members.includes(name);
    if (isAdmin && !member) await mustRun("gpasswd", ["--add", name, group]);
    if (!isAdmin && member) await mustRun("gpasswd", ["--delete", name, group]);
    return;
  }
}

async function setAuthorizedKey(account: OsAccount, key: string | undefined): Promise<void> {
  const asUser = { uid: account.uid, gid: account.gid };
  const directory = join(account.home, ".ssh");
  const file = join(directory, "authorized_keys");
  if (key === undefined) {
    await mustRun("rm", ["-f", "--", file], asUser);
    return;
  }
  await mustRun("mkdir", ["-p", "-m", "700", "--", directory], asUser);
  await mustRun("chmod", ["700", "--", directory], asUser);
  // Made 0600 before the key is written, so it is never readable by others (nor seen so by a test) in between.
  await mustRun("install", ["-m", "600", "/dev/null", file], asUser);
  await mustRun("tee", ["--", file], { ...asUser, input: `${key.trim()}\n` });
}

/**
 * Gives a directory tree to an account. GNU chown walks it without following symbolic links and with
 * descriptor-relative calls, so a process of the account racing to swap a directory for a link cannot redirect it.
 */
export async function giveTree(directory: string, account: Pick<OsAccount, "uid" | "gid">): Promise<void> {
  await mustRun("chown", ["--recursive", "--no-dereference", "-P", `${account.uid}:${account.gid}`, "--", directory]);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
