/**
 * The images this agent's runs may use without pulling them again (docs/containers.md "Image pulls"): a successful
 * pull with one set of credentials is remembered for a bounded time as the image ID it gave, under a key that
 * hashes the qualified image name with those credentials (images.ts `checkKey`). Only a run that brings the same
 * credentials (or, for an anonymous pull, none, where anyone may pull) finds the entry, and it gets exactly the image
 * that pull gave — so a run never uses an image its credentials were not shown to reach, while repeated tasks of a
 * job skip the registry round trip. An entry ends with its time (credentials revoked at the registry take effect
 * then), or when the image ID is gone from the store.
 */
export class CheckedImages {
  private readonly entries = new Map<string, { readonly imageId: string; readonly expiresAt: number }>();

  /**
   * @param ttlInMs how long a pull vouches for its credentials; 0: never remembered (every run pulls).
   * @param now the clock, in ms (tests move it).
   * @param maxEntries the oldest entry goes when a new one would exceed this.
   */
  constructor(
    readonly ttlInMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 1000,
  ) {}

  /** The image ID a pull with these credentials gave, while it is fresh. */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.imageId;
    this.entries.delete(key);
    return undefined;
  }

  remember(key: string, imageId: string): void {
    if (this.ttlInMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { imageId, expiresAt: this.now() + this.ttlInMs });
    // A Map iterates in insertion order: the first key is the oldest entry.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
