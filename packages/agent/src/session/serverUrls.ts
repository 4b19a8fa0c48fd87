/**
 * The servers an agent may talk to: the URLs it was started with (`--server a,b,c`) and those the server names in
 * its answers (`serverUrls`: with replicas, the live ones). The agent uses one at a time and stays with it while it
 * answers; a failed exchange moves it to the next (round robin), so when a replica dies or is cut off the agent goes
 * on with another one after one failure instead of waiting for the dead one to come back.
 */

/** Parses `--server`: one URL or several, comma-separated; throws naming the first that is not a URL. */
export function parseServerUrls(value: string): string[] {
  const urls = value
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
  if (urls.length === 0) throw new Error("no server URL given");
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`'${url}' is not a valid URL`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`'${url}' is not an http(s) URL`);
  }
  return [...new Set(urls.map(normalise))];
}

function normalise(url: string): string {
  return url.replace(/\/+$/, "");
}

/** At most this many learned URLs are kept (a server cannot grow the list without bound). */
const maxUrls = 64;

export class ServerUrls {
  private readonly urls: string[];
  private index = 0;

  constructor(initial: readonly string[]) {
    if (initial.length === 0) throw new Error("at least one server URL is needed");
    this.urls = [...new Set(initial.map(normalise))];
  }

  /** The server to talk to now. */
  get current(): string {
    return this.urls[this.index] as string;
  }

  get all(): readonly string[] {
    return this.urls;
  }

  /** An exchange with `url` failed: the next one is tried (unless another failure moved on already). */
  failed(url: string): void {
    if (this.urls.length > 1 && normalise(url) === this.current) this.index = (this.index + 1) % this.urls.length;
  }

  /** Adds the URLs a server named that are not known yet; those known keep their place. */
  learn(urls: readonly string[] | undefined): string[] {
    const added: string[] = [];
    for (const url of urls ?? []) {
      const candidate = normalise(url);
      if (this.urls.length >= maxUrls || this.urls.includes(candidate) || !/^https?:\/\//.test(candidate)) continue;
      this.urls.push(candidate);
      added.push(candidate);
    }
    return added;
  }
}
