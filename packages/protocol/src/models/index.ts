/**
 * Every wire model of the Batch data-plane API 2024-02-01.19.0, and `wireModels`: the registry by model name that
 * `operations.ts` refers to (`requestBody` / `responseBody`).
 */
import * as certificate from "./certificate.js";
import * as common from "./common.js";
import * as job from "./job.js";
import * as node from "./node.js";
import * as pool from "./pool.js";
import * as poolConfiguration from "./poolConfiguration.js";
import * as task from "./task.js";

export * from "./common.js";
export * from "./task.js";
export * from "./pool.js";
export * from "./poolConfiguration.js";
export * from "./job.js";
export * from "./node.js";
export * from "./certificate.js";
export { partialProperties, type PartialProperties } from "./util.js";

/**
 * Every wire model by its name (`wireModels.PoolAddParameter.$id === "PoolAddParameter"`). The model files export
 * nothing but models as values, so the registry is their union.
 */
export type WireModels = typeof common &
  typeof task &
  typeof pool &
  typeof poolConfiguration &
  typeof job &
  typeof node &
  typeof certificate;

export const wireModels: WireModels = {
  ...common,
  ...task,
  ...pool,
  ...poolConfiguration,
  ...job,
  ...node,
  ...certificate,
};

export type WireModelName = keyof WireModels;
