/** Bytes of the files under a folder, as `du --apparent-size` counts them: for the package test and bench:install-size. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Bytes of the regular files under `path`, recursively (links are not followed). */
export function treeBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += treeBytes(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}
