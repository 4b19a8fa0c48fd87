/**
 * Common Azure VM sizes and what they give a node: cores and memory. The local provider uses them to size node
 * sandboxes (task slots are capped at min(4 × cores, 256)); unknown sizes are refused like the service refuses them.
 * Names compare case-insensitively (`standard_d2s_v3` = `Standard_D2s_v3`).
 */
export interface VmSize {
  readonly name: string;
  readonly cores: number;
  readonly memoryGiB: number;
}

const table: VmSize[] = [];
const add = (name: string, cores: number, memoryGiB: number) => table.push({ name, cores, memoryGiB });

// General purpose
for (const [n, memory] of [[1, 2], [2, 4], [4, 8], [8, 16]] as const) add(`Standard_A${n}_v2`, n, memory);
for (const [n, memory] of [[2, 8], [4, 16], [8, 32]] as const) add(`Standard_A${n}m_v2`, n, memory);
for (const [name, cores, memory] of [["B1s", 1, 1], ["B1ms", 1, 2], ["B2s", 2, 4], ["B2ms", 2, 8], ["B4ms", 4, 16], ["B8ms", 8, 32]] as const) add(`Standard_${name}`, cores, memory);
for (const [n, cores, memory] of [[1, 1, 3.5], [2, 2, 7], [3, 4, 14], [4, 8, 28], [5, 16, 56]] as const) {
  add(`Standard_D${n}_v2`, cores, memory);
  add(`Standard_DS${n}_v2`, cores, memory);
}
/** `Standard_D{n}{suffix}_{version}` for the D-series combinations Azure offers, 4 GiB per core. */
const dSeries = ["_v3", "s_v3", "_v4", "s_v4", "d_v4", "ds_v4", "as_v4", "ads_v5", "_v5", "s_v5", "d_v5", "ds_v5", "as_v5"];
for (const n of [2, 4, 8, 16, 32, 48, 64]) {
  for (const suffix of dSeries) add(`Standard_D${n}${suffix}`, n, n * 4);
  for (const suffix of ["_v3", "s_v3", "s_v5", "ds_v5", "as_v5"]) add(`Standard_E${n}${suffix}`, n, n * 8);
}
for (const n of [2, 4, 8, 16, 32, 48, 64, 72]) add(`Standard_F${n}s_v2`, n, n * 2);
// Compute, memory and GPU specials
for (const [name, cores, memory] of [
  ["HB120rs_v3", 120, 448], ["HB176rs_v4", 176, 768], ["HC44rs", 44, 352],
  ["NC6s_v3", 6, 112], ["NC12s_v3", 12, 224], ["NC24s_v3", 24, 448], ["NC4as_T4_v3", 4, 28], ["NC8as_T4_v3", 8, 56],
  ["NC16as_T4_v3", 16, 110], ["NC64as_T4_v3", 64, 440], ["ND40rs_v2", 40, 672], ["ND96asr_v4", 96, 900],
  ["M64s", 64, 1024], ["M128s", 128, 2048], ["L8s_v3", 8, 64], ["L16s_v3", 16, 128],
] as const) add(`Standard_${name}`, cores, memory);

const byName = new Map(table.map((size) => [size.name.toLowerCase(), size]));

/** The size's cores and memory, or undefined for a size the table does not know. */
export function vmSizeInfo(name: string): VmSize | undefined {
  return byName.get(name.toLowerCase());
}

/** Every known size, for error messages and docs. */
export function knownVmSizes(): readonly VmSize[] {
  return table;
}

/** The most task slots a node of this size may have: min(4 × cores, 256). */
export function maxTaskSlots(size: VmSize): number {
  return Math.min(4 * size.cores, 256);
}
