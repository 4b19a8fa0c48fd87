// Lint rules that keep the package boundaries of docs/architecture.md: packages import each other only through
// their public entry point (`@openbatch/x`, never `@openbatch/x/...` or a relative path into another package), and
// the pure packages (core, protocol, scheduler, autoscale) use no Node built-ins.
import tseslint from "typescript-eslint";

const deepImports = {
  patterns: [
    { group: ["@openbatch/*/*"], message: "Import other packages through their entry point (@openbatch/<name>), never a deep path." },
    { group: ["**/packages/*/src/**", "**/packages/*/dist/**", "../../*/src/**", "../../../*/src/**"], message: "Import other packages by name, not by relative path into their sources." },
  ],
};

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", ".openbatch/**"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "no-restricted-imports": ["error", deepImports],
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
);
