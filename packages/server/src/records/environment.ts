import type { EnvironmentSetting } from "@openbatch/protocol";

/** Environment settings as a name → value map (later settings win; a missing value is empty). */
export function environmentOf(settings: readonly EnvironmentSetting[] | undefined): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const setting of settings ?? []) environment[setting.name] = setting.value ?? "";
  return environment;
}
