/**
 * The `pg` client is loaded only when a PostgreSQL store is opened: a
 * server on SQLite (or any user of the package) never loads it. Checked in
 * a fresh Node process, whose module cache nothing else has touched.
 */
import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { ROOT } from "../../helpers/cli.js";

const SCRIPT = `
import { createRequire } from "node:module";
const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(k)).length;
await import("./server/index.ts");
await import("./actors/memory/index.ts");
const { PostgresMemoryStore } = await import("./actors/memory/postgres.ts");
const before = loaded();
await PostgresMemoryStore.open({ url: "postgres://coda@127.0.0.1:1/coda", connectTimeoutMs: 1000 }).catch(() => {});
console.log(JSON.stringify({ before, after: loaded() }));
`;

it("loads pg on the first open of a PostgreSQL store, not on import", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], { cwd: ROOT, encoding: "utf8" });
  const { before, after } = JSON.parse(out.trim().split("\n").at(-1)!) as { before: number; after: number };
  expect(before).toBe(0);
  expect(after).toBeGreaterThan(0);
});
