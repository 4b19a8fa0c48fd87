/**
 * The wire models as the client exposes them: plain interfaces generated from `@openbatch/protocol`
 * (src/generated/wireModels.ts, written by scripts/generateWire.mjs), so the published package needs neither the
 * protocol package nor TypeBox. Every enum is open — a value a newer service sends (a new node state, say) is a plain
 * string to the type checker rather than an impossible case, as the Python SDK's str-mixin enums allow; `KnownX`
 * names the values this API version defines and `XValues` lists them at run time.
 */
export * from "./generated/wireModels.js";
