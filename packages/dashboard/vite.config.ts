// The dashboard is served by the OpenBatch server under /ui/ (packages/server/src/http/dashboardRoute.ts); the
// client package resolves to its browser build through the `browser` condition (its `#platform` import).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/ui/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  resolve: { conditions: ["browser", "module", "import", "default"] },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 400 },
});
