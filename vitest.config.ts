// Test runner settings: two cores, so at most two test files at a time.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // docs/examples import the package by name, as a consumer does; in tests that name is the source.
  resolve: {
    alias: [
      { find: /^coda-core$/, replacement: source("./server/index.ts") },
      { find: /^coda-core\/client$/, replacement: source("./server/client/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The sources compiled once, for the suites that start the CLI as a child process.
    globalSetup: ["test/helpers/compiled-build.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
