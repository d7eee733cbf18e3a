/**
 * Making the folder of the memory database, one level at a time, with a
 * reason a person can act on when it cannot be made. Node's recursive
 * mkdir is not used: under /proc it loops forever at 100% CPU (mkdir says
 * ENOENT, the parent exists, it retries), and the process then ignores
 * SIGINT and SIGTERM.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { EngineError } from "../engine-error.js";

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? "unknown error";
}

/**
 * Make sure the folder that will hold `file` exists (created with mode 0700
 * where missing). Throws EngineError `storage_error` saying which folder is
 * the problem and why.
 */
export function ensureDatabaseFolder(file: string): void {
  const missing: string[] = [];
  let at = dirname(resolve(file));
  for (;;) {
    let isFolder: boolean;
    try {
      isFolder = statSync(at).isDirectory();
    } catch (err) {
      const code = errnoCode(err);
      // ENOTDIR: something above is a file; the walk up finds it and says so.
      if (code !== "ENOENT" && code !== "ENOTDIR") throw new EngineError("storage_error", `Cannot use the folder ${at} for the memory database (${code})`, { cause: err });
      missing.unshift(at);
      at = dirname(at);
      continue;
    }
    if (!isFolder) throw new EngineError("storage_error", `Cannot use ${file} as the memory database: ${at} is not a folder`);
    break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode: 0o700 });
    } catch (err) {
      const code = errnoCode(err);
      if (code === "EEXIST") continue; // made meanwhile by someone else
      const parent = dirname(folder);
      const why = {
        ENOENT: `${parent} does not accept new folders`,
        EACCES: `no permission to write in ${parent}`,
        EPERM: `${parent} does not allow it`,
        EROFS: `${parent} is on a read-only file system`,
        ENOSPC: "the disk is full",
      }[code] ?? "it could not be made";
      throw new EngineError("storage_error", `Cannot create the folder ${folder} for the memory database: ${why} (${code})`, { cause: err });
    }
  }
}
