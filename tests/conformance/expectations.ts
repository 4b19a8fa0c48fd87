/**
 * What the conformance tests expect, shared by the Python SDK and @azure/batch suites so both clients are held to
 * the same outcomes. Expected values come from the server's own catalogue (not from a response), so a server that
 * drops, duplicates or misfilters images fails.
 */
import { supportedImages } from "@openbatch/server";
import { testAccounts } from "../support/testServer.js";

/** A stable identity for an image: agent SKU plus Marketplace reference (no two catalogue entries share one). */
export function imageKey(image: { nodeAgentSKUId?: string; imageReference?: { publisher?: string; offer?: string; sku?: string } }): string {
  const reference = image.imageReference ?? {};
  return `${image.nodeAgentSKUId}|${reference.publisher}|${reference.offer}|${reference.sku}`;
}

/** Every image the server offers, in the server's order. */
export const catalogueKeys: readonly string[] = supportedImages.map((entry) => imageKey(entry.item));

/** The Windows images, in the server's order. */
export const windowsCatalogueKeys: readonly string[] = supportedImages.filter((entry) => entry.item.osType === "windows").map((entry) => imageKey(entry.item));

/** The Linux images, in the server's order. They all sort before the Windows ones, so a next page that lost the
 * `$filter` would bring Windows images in (the Windows images, sorting last, could not show that). */
export const linuxCatalogueKeys: readonly string[] = supportedImages.filter((entry) => entry.item.osType === "linux").map((entry) => imageKey(entry.item));

/** A key that is valid base64 for the right account name, but not the account's key. */
export const wrongKeyAccount = {
  name: testAccounts.alpha.name,
  key: Buffer.from("definitely-not-the-alpha-account-key!!").toString("base64"),
} as const;

/** Splits `total` items into the page sizes a server must return for `pageSize` (e.g. 25/10 → [10, 10, 5]). */
export function expectedPageSizes(total: number, pageSize: number): number[] {
  const sizes: number[] = [];
  for (let left = total; left > 0; left -= pageSize) sizes.push(Math.min(pageSize, left));
  return sizes;
}

/** `count` application ids, zero-padded so their id order is unambiguous, e.g. `paged-app-07`. */
export function pagedApplicationIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `paged-app-${String(index).padStart(2, "0")}`);
}

/** A deterministic shuffle (registration order ≠ id order, so an in-order listing proves the server sorts). */
export function shuffled<T>(items: readonly T[]): T[] {
  const result = [...items];
  let seed = 20240201;
  for (let index = result.length - 1; index > 0; index--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const other = seed % (index + 1);
    [result[index], result[other]] = [result[other] as T, result[index] as T];
  }
  return result;
}
