/**
 * Temporary directories for tests (fake programs on PATH, recordings,
 * SQLite files, WAV files): made under the OS temp folder and removed
 * with everything in them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";

export interface TempDir {
  dir: string;
  /** A path inside the directory (default name memory.db). */
  file(name?: string): string;
  /** Remove the directory and everything in it. */
  remove(): void;
}

/** A fresh directory named `<prefix>XXXXXX`; the caller removes it. */
export function tempDir(prefix = "coda-memory-"): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name = "memory.db") => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh directory for each test (or, with scope "file", one for the
 * describe block or file it is called in), removed after it. Returns a
 * getter for the current directory; its hooks run before the caller's own
 * beforeEach/beforeAll registered after it.
 * @example const tmp = useTempDir("coda-mic-"); beforeEach(() => { bin = join(tmp(), "bin"); });
 */
export function useTempDir(prefix: string, scope: "test" | "file" = "test"): () => string {
  let current: TempDir | undefined;
  const make = () => {
    current = tempDir(prefix);
  };
  const remove = () => {
    current?.remove();
    current = undefined;
  };
  if (scope === "test") {
    beforeEach(make);
    afterEach(remove);
  } else {
    beforeAll(make);
    afterAll(remove);
  }
  return () => {
    if (!current) throw new Error("useTempDir: no directory outside a test");
    return current.dir;
  };
}
