// Import rules checked by `npm run lint` (dependency-cruiser): no import cycles in any package, and the layers of
// the server (docs/architecture.md, "Server core"):
//
//   handlers/ ──▶ services/ ──▶ lifecycle/ ──▶ effects/ ──▶ records/ (leaf) ──▶ store, core, protocol
//   loops/ and the agent endpoint (nodes/agentSync.ts) sit beside services/: they call lifecycle/, never services/.
//   server.ts, the composition root, is the one place that wires them all.
//
// Type-only imports count (tsPreCompilationDeps): a type cycle is a design cycle too.
const server = "^packages/server/src/";
const layer = (...paths) => `${server}(${paths.join("|")})`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules may not import each other in a circle, directly or through others.",
      from: {},
      to: { circular: true },
    },
    {
      name: "records-are-a-leaf",
      severity: "error",
      comment: "records/ holds stored record types and pure helpers; it imports nothing else of the server.",
      from: { path: layer("records/") },
      to: { path: server, pathNot: layer("records/") },
    },
    {
      name: "effects-know-only-records",
      severity: "error",
      comment: "effects/ describes what happens after a commit; it knows no layer above records/.",
      from: { path: layer("effects/") },
      to: { path: server, pathNot: layer("effects/", "records/") },
    },
    {
      name: "lifecycle-never-calls-up",
      severity: "error",
      comment: "lifecycle/ performs state changes for everyone above it and never imports them back.",
      from: { path: layer("lifecycle/") },
      to: { path: layer("services/", "loops/", "handlers/", "http/", "nodes/", "server\\.ts", "index\\.ts", "autoscale/autoscaleService\\.ts") },
    },
    {
      name: "services-not-loops-or-http",
      severity: "error",
      comment: "services/ are called by handlers; they reach loops only through effects, and know nothing of HTTP.",
      from: { path: layer("services/", "autoscale/autoscaleService\\.ts") },
      to: { path: layer("loops/", "handlers/", "http/", "server\\.ts", "nodes/agentSync\\.ts", "nodes/agentEndpoint\\.ts") },
    },
    {
      name: "loops-beside-services",
      severity: "error",
      comment: "loops/ run beside services/: they use lifecycle/ and records/, never a service or a handler.",
      from: { path: layer("loops/") },
      to: { path: layer("services/", "handlers/", "http/", "server\\.ts", "nodes/agentSync\\.ts", "autoscale/autoscaleService\\.ts") },
    },
    {
      name: "agent-endpoint-beside-services",
      severity: "error",
      comment: "The agent endpoint applies agent reports through lifecycle/, like a service.",
      from: { path: layer("nodes/agentSync\\.ts", "nodes/agentEndpoint\\.ts") },
      to: { path: layer("services/", "loops/", "handlers/", "server\\.ts") },
    },
    {
      name: "handlers-call-services",
      severity: "error",
      comment: "handlers/ turn wire requests into service calls; state changes and wake-ups are below services.",
      from: { path: layer("handlers/") },
      to: { path: layer("lifecycle/", "loops/", "effects/", "nodes/agentSync\\.ts") },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules)/" },
    tsConfig: { fileName: "tsconfig.base.json" },
  },
};
