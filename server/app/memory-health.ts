/**
 * The memory store as a dependency of the node (server/transport/health.ts):
 * `/health`'s `memory` field, `coda_dependency_up{dependency="memory"}`, and
 * the refusal of new turns while a store that should be there (PostgreSQL
 * lost) cannot be reached. Reads the store's own `health()`, which its probe
 * keeps current; a store without `health()` is taken as ok. Its changes are
 * logged (`logMemoryHealth`).
 */
import type { Logger } from "../../actors/logger.js";
import type { MemoryHealth, MemoryStore } from "../../actors/memory/types.js";
import type { DependencyCheck, DependencyHealth } from "../transport/health.js";

/**
 * @param requiredForTurns false for a store the server already runs without
 *   (a SQLite file that could not be opened: turns go on without memory, as
 *   said at start-up), true otherwise.
 */
export function memoryDependency(store: MemoryStore, { requiredForTurns }: { requiredForTurns: boolean }): DependencyCheck {
  return {
    name: "memory",
    engine: store.name,
    requiredForTurns,
    read(): DependencyHealth {
      const health = store.health?.() ?? { ok: true };
      return health.ok ? health : { ok: false, code: health.code, reason: health.message, since: health.since };
    },
  };
}

/** One log line per change of the store's health: a warning when it is lost, info when it is back. Never memory text. */
export function logMemoryHealth(logger: Logger, health: MemoryHealth): void {
  if (health.ok) logger.info("memory available again; new turns are taken", {});
  else logger.warn("memory unavailable; new turns are refused until it is back", { code: health.code, reason: health.message, since: health.since });
}
