/**
 * Finding an executable the way a shell would: the first of several names
 * found on PATH (or an absolute path), for the players, recorders and
 * recognisers the speech engines run.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** The first of `names` that is an executable on `env.PATH` (an absolute name is checked as is); null when none is. */
export function findProgram<N extends string>(names: readonly N[], env: NodeJS.ProcessEnv = process.env): { name: N; path: string } | null {
  const dirs = (env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const name of names) {
    for (const path of isAbsolute(name) ? [name] : dirs.map((d) => join(d, name))) {
      try {
        accessSync(path, constants.X_OK);
        return { name, path };
      } catch {
        // Not here; keep looking.
      }
    }
  }
  return null;
}
