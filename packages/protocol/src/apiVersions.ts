/** The api-versions OpenBatch accepts (rest-api.md §1.1), oldest first. */
export const apiVersions = ["2022-10-01.16.0", "2023-05-01.17.0", "2023-11-01.18.0", "2024-02-01.19.0"] as const;

export type ApiVersion = (typeof apiVersions)[number];

/** The api-version this implementation targets, and the one our client sends. */
export const currentApiVersion: ApiVersion = "2024-02-01.19.0";

export function isApiVersion(value: string): value is ApiVersion {
  return (apiVersions as readonly string[]).includes(value);
}

/** True when `version` is at or after `since`; api-version strings order lexically by date. */
export function apiVersionAtLeast(version: ApiVersion, since: ApiVersion): boolean {
  return version >= since;
}
