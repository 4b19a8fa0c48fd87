/**
 * Per-account quotas (docs/quotas.md), as Azure Batch accounts have them: dedicated and Spot cores (a pool is
 * allocated up to them, its resize errors say `AccountCoreQuotaReached` / `AccountLowPriorityCoreQuotaReached`),
 * pools (`PoolQuotaReached`) and active jobs and job schedules (`ActiveJobAndScheduleQuotaReached`).
 *
 * Defaults: the service's own for pools (100) and active jobs and schedules (300); cores from this host, since the
 * local provider's nodes share it: 32 cores per logical CPU, at most 4 per GiB of memory (a 2-core node per
 * 512 MiB), and at least 16 — enough for the pools people try things with, and small enough that a typo of 5000
 * nodes allocates a few dozen instead of swamping the machine. Any of them can be set for every account and for
 * each account (`--quota [account:]name=value`).
 *
 * A core quota that is set covers the account's pools of every compute provider, as an Azure account's quota covers
 * all its pools. One left at the host's default covers only the local provider's pools, the ones that run on this
 * host: nodes of joined agents and Slurm pilots run elsewhere, bounded by the room their agents offer and by the
 * cluster's own scheduler (docs/quotas.md).
 */
import { availableParallelism, totalmem } from "node:os";

export interface AccountQuotas {
  readonly dedicatedCores: number;
  readonly lowPriorityCores: number;
  readonly pools: number;
  readonly activeJobsAndSchedules: number;
}

export type QuotaSettings = Partial<AccountQuotas>;

export const quotaNames: readonly (keyof AccountQuotas)[] = ["dedicatedCores", "lowPriorityCores", "pools", "activeJobsAndSchedules"];

/** The core quota a host of `cpus` logical CPUs and `memoryBytes` of memory gets (see the module comment). */
export function hostCoreQuota(cpus: number, memoryBytes: number): number {
  const byMemory = Math.floor((memoryBytes / 1024 ** 3) * 4);
  return Math.max(16, Math.min(32 * cpus, byMemory));
}

/** The defaults on this host. */
export function hostDefaultQuotas(cpus = availableParallelism(), memoryBytes = totalmem()): AccountQuotas {
  const cores = hostCoreQuota(cpus, memoryBytes);
  return { dedicatedCores: cores, lowPriorityCores: cores, pools: 100, activeJobsAndSchedules: 300 };
}

/** Checks settings given as options: whole numbers of at least 0, known names only. */
export function checkQuotaSettings(settings: QuotaSettings, where: string): QuotaSettings {
  for (const [name, value] of Object.entries(settings)) {
    if (!quotaNames.includes(name as keyof AccountQuotas)) throw new Error(`Unknown quota '${name}' in ${where}; the quotas are ${quotaNames.join(", ")}`);
    if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`The quota ${name} in ${where} must be a whole number of at least 0`);
  }
  return settings;
}

/**
 * Parses `--quota` values: `name=value` for every account, `account:name=value` for one. Returns the settings for
 * every account and those of each account.
 */
export function parseQuotaSpecs(specs: readonly string[]): { quotas: QuotaSettings; accountQuotas: Record<string, QuotaSettings> } {
  const quotas: Record<string, number> = {};
  const accountQuotas: Record<string, Record<string, number>> = {};
  for (const spec of specs) {
    const match = /^(?:([a-z0-9]{3,24}):)?([A-Za-z]+)=(\d+)$/.exec(spec.trim());
    if (match === null) throw new Error(`A quota must have the form [ACCOUNT:]NAME=VALUE (e.g. dedicatedCores=64); '${spec}' has not`);
    const [, account, name = "", value = ""] = match;
    if (!quotaNames.includes(name as keyof AccountQuotas)) throw new Error(`Unknown quota '${name}'; the quotas are ${quotaNames.join(", ")}`);
    if (account === undefined) quotas[name] = Number(value);
    else (accountQuotas[account] ??= {})[name] = Number(value);
  }
  return { quotas, accountQuotas };
}

/** A core quota, and whether it is the host's default (which covers only pools of the local provider). */
export interface CoreQuota {
  readonly cores: number;
  readonly hostDefault: boolean;
}

export interface AccountCoreQuotas {
  readonly dedicated: CoreQuota;
  readonly lowPriority: CoreQuota;
}

/** The quotas of each account: its own settings over the settings for all over the defaults. */
export class Quotas {
  constructor(
    private readonly defaults: AccountQuotas,
    private readonly forAll: QuotaSettings = {},
    private readonly perAccount: Readonly<Record<string, QuotaSettings>> = {},
  ) {}

  of(account: string): AccountQuotas {
    return { ...this.defaults, ...this.forAll, ...this.perAccount[account] };
  }

  /** The account's core quotas, each marked when it was set nowhere (the host's default). */
  coreQuotas(account: string): AccountCoreQuotas {
    const quotas = this.of(account);
    const set = (name: "dedicatedCores" | "lowPriorityCores") => this.forAll[name] !== undefined || this.perAccount[account]?.[name] !== undefined;
    return {
      dedicated: { cores: quotas.dedicatedCores, hostDefault: !set("dedicatedCores") },
      lowPriority: { cores: quotas.lowPriorityCores, hostDefault: !set("lowPriorityCores") },
    };
  }
}
