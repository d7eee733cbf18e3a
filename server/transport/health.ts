/**
 * What the node depends on besides itself (the memory store; Redis in a
 * cluster), as `/health`, the Prometheus gauge `coda_dependency_up` and the
 * refusal of new turns see it. Each dependency reports itself with a cheap
 * read (no I/O: its own watcher keeps it current); the server composes them
 * here. See docs/operations.md, "Health".
 */
import { ProtocolError } from "../protocol/index.js";

/** A dependency's state now: ok, or why not (a stable code and a sentence) and since when (ISO 8601). */
export type DependencyHealth = { ok: true } | { ok: false; code: string; reason: string; since: string };

/** One dependency of the node, as the server reads it. */
export interface DependencyCheck {
  /** Its field in `/health` and its `dependency` label in `/metrics`: `memory`, `redis`. */
  readonly name: string;
  /** What runs it, e.g. `postgres`, `sqlite`, `in-memory`. */
  readonly engine: string;
  /**
   * While it is not ok, commands that would start a turn (`stt_start`,
   * `text_input`, `demo_flow`) are refused with `unavailable`. False for a
   * dependency the turn can do without (it then reports its own errors).
   */
  readonly requiredForTurns: boolean;
  /** The state now; called on every `/health`, scrape and turn command, so it must not do I/O. */
  read(): DependencyHealth;
}

/** The commands that start a turn. */
const TURN_COMMANDS: ReadonlySet<string> = new Set(["stt_start", "text_input", "demo_flow"]);

/** `/health`'s word for a node whose dependencies are all ok, and for one that is not (the route answers 503 then). */
export const HEALTH_OK = "ok";
export const HEALTH_DEGRADED = "degraded";

/**
 * The `/health` fields of the dependencies (`memory: {engine, status: "ok"}`
 * or `{engine, status: "unavailable", code, reason, since}`), and whether
 * every one is ok.
 */
export function dependencyFields(checks: readonly DependencyCheck[]): { ok: boolean; fields: Record<string, unknown> } {
  let ok = true;
  const fields: Record<string, unknown> = {};
  for (const check of checks) {
    const health = check.read();
    if (health.ok) {
      fields[check.name] = { engine: check.engine, status: "ok" };
    } else {
      ok = false;
      fields[check.name] = { engine: check.engine, status: "unavailable", code: health.code, reason: health.reason, since: health.since };
    }
  }
  return { ok, fields };
}

/**
 * The refusal of a command that would start a turn while a dependency the
 * turn needs is down, or null: `unavailable`, naming it and why.
 */
export function turnRefusal(commandType: string, checks: readonly DependencyCheck[]): ProtocolError | null {
  if (!TURN_COMMANDS.has(commandType)) return null;
  for (const check of checks) {
    if (!check.requiredForTurns) continue;
    const health = check.read();
    if (health.ok) continue;
    const name = check.name.charAt(0).toUpperCase() + check.name.slice(1);
    return new ProtocolError("unavailable", `${name} is unavailable (${health.code}): ${health.reason}. New turns are refused until it is back (GET /health shows it); nothing kept before is lost`);
  }
  return null;
}
