/** Temporary directories for SQLite memory tests; each test removes its own. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory and a cleanup function. */
export function tempDir(): { dir: string; file: (name?: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "coda-memory-"));
  return { dir, file: (name = "memory.db") => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
