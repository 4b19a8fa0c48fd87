// Lint rules that keep the package boundaries of docs/architecture.md: packages import each other only through
// their public entry point (`@openbatch/x`, never `@openbatch/x/...` nor a relative path into another package —
// scripts/lint/packageBoundaries.mjs resolves relative imports to tell), the pure packages (core, protocol,
// scheduler, autoscale) use no Node built-ins, and neither does what the client's browser build and the dashboard
// load (type-only imports of Node's types are erased, so the client's shared modules may keep them).
import tseslint from "typescript-eslint";
import packageBoundaries from "./scripts/lint/packageBoundaries.mjs";

const deepImports = {
  patterns: [
    { group: ["@openbatch/*/*"], message: "Import other packages through their entry point (@openbatch/<name>), never a deep path." },
  ],
};

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", ".openbatch/**"] },
  {
    files: ["**/*.{ts,tsx,mts,js,mjs}"],
    plugins: { "package-boundaries": packageBoundaries },
    rules: {
      "package-boundaries/no-relative-import-across-packages": "error",
      "no-restricted-imports": ["error", deepImports],
    },
  },
  {
    // The benchmarks are tooling, not a package: they drive the server with the tests' compiled request helpers.
    files: ["bench/**"],
    rules: { "package-boundaries/no-relative-import-across-packages": ["error", { allowInto: ["@openbatch/tests"] }] },
  },
  {
    files: ["**/*.{ts,tsx}"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
  },
  {
    // Every state change of a stored resource is made in the server's lifecycle layer (docs/architecture.md,
    // "Server core"), checked against core's transition tables; elsewhere a state is read, never written.
    files: ["packages/server/src/**/*.ts"],
    ignores: ["packages/server/src/lifecycle/**", "packages/server/src/records/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "Property[key.name=/^(state|previousState|allocationState)$/][value.type='Literal']",
          message: "States change only in packages/server/src/lifecycle/ (move/created, checked against core's transition tables).",
        },
        {
          selector: "Property[key.name=/^(state|previousState|allocationState)$/][value.type='TSAsExpression'][value.expression.type='Literal']",
          message: "States change only in packages/server/src/lifecycle/ (move/created, checked against core's transition tables).",
        },
      ],
    },
  },
  {
    files: ["packages/core/src/**/*.ts", "packages/protocol/src/**/*.ts", "packages/scheduler/src/**/*.ts", "packages/autoscale/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          ...deepImports,
          patterns: [
            ...deepImports.patterns,
            { group: ["node:*", "fs", "path", "os", "crypto", "http", "child_process"], message: "core, protocol, scheduler and autoscale are pure: no Node built-ins." },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/client/src/**/*.ts", "packages/dashboard/src/**/*.{ts,tsx}"],
    ignores: ["packages/client/src/platform/node.ts", "packages/client/src/transports/nodeHttp.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "fs", "path", "os", "crypto", "http", "https", "stream", "child_process"],
              allowTypeImports: true,
              message: "Browsers load this module: Node built-ins only in packages/client/src/platform/node.ts and transports/nodeHttp.ts.",
            },
          ],
        },
      ],
    },
  },
);
