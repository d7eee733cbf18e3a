/**
 * The memory viewer's commands: memory_list, memory_search and
 * memory_forget. Each answers the requesting client only; nothing is
 * broadcast or logged (see docs/memory.md, "Commands"). Storage failures
 * answer the requester with command_error `unavailable`; they do not
 * broadcast memory_error, which is reserved for failures inside a turn.
 * Every command acts on the memories of the requesting connection's user
 * (`?user=`, a scoped token's claim, or `default`) and never sees another's.
 */
import { EngineError } from "../../actors/engine-error.js";
import type { MemoryHit, MemoryItem, MemoryStore } from "../../actors/memory/types.js";
import type { Logger } from "./logger.js";
import { ProtocolError, validateEvent, type CommandType, type EventData } from "../protocol/index.js";
import type { CommandHandler } from "../transport/router.js";

/** A store that may also offer the viewer's search (all words, last one as a prefix); recall is used otherwise. */
export type ViewerMemoryStore = MemoryStore & {
  search?(query: string, options?: { limit?: number; signal?: AbortSignal }): Promise<MemoryHit[]>;
};

/** What registerMemoryCommands needs from the server: WebSocketServer fits. */
export interface CommandRegistrar {
  handle<T extends CommandType>(type: T, handler: CommandHandler<T>): void;
}

type WireItem = EventData<"memory_items">["items"][number];

/**
 * Register the memory viewer commands on `server`.
 *
 * - `memory_list {limit?}` -> `memory_items {query: null, items}` newest first, then command_ack if the command had an id.
 * - `memory_search {query, limit?}` -> `memory_items {query, items}` best match first, then command_ack.
 * - `memory_forget {id}` -> command_ack (when the command had an id) if it was removed;
 *   command_error `not_found` if the user has none with that id (another user's memory is not found either).
 * - No store (`null`) or a storage failure -> command_error `unavailable` naming the cause
 *   (e.g. "Memory is unavailable (locked): ..."). Nothing is broadcast.
 *
 * @example
 * const server = new WebSocketServer({ port: 8765 });
 * registerMemoryCommands(server, new SqliteMemoryStore());
 */
export function registerMemoryCommands(server: CommandRegistrar, store: ViewerMemoryStore | null, options: { logger?: Logger } = {}): void {
  const { logger } = options;

  const use = async <T>(command: CommandType, fn: (s: ViewerMemoryStore) => Promise<T>): Promise<T> => {
    if (!store) throw new ProtocolError("unavailable", "Long-term memory is disabled on this server");
    try {
      return await fn(store);
    } catch (err) {
      if (err instanceof EngineError) {
        // Code only: the message may quote SQLite, never memory contents, but logs stay static.
        logger?.warn("memory command failed", { command, code: err.code });
        throw new ProtocolError("unavailable", `Memory is unavailable (${err.code}): ${err.message}`);
      }
      throw err;
    }
  };

  server.handle("memory_list", async (command, ctx) => {
    const { userId } = ctx;
    const items = await use("memory_list", (s) => s.list({ limit: command.data.limit, userId }));
    ctx.reply(validateEvent({ type: "memory_items", data: { query: null, items: items.map(toWireItem) } }));
  });

  server.handle("memory_search", async (command, ctx) => {
    const { query, limit } = command.data;
    const { userId } = ctx;
    const hits = await use("memory_search", (s) => (s.search ? s.search(query, { limit, userId }) : s.recall(query, { limit, userId })));
    ctx.reply(validateEvent({ type: "memory_items", data: { query, items: hits.map((h) => toWireItem(h.item)) } }));
  });

  server.handle("memory_forget", async (command, ctx) => {
    const { userId } = ctx;
    const removed = await use("memory_forget", (s) => s.forget(command.data.id, { userId }));
    if (!removed) throw new ProtocolError("not_found", `There is no memory with id "${command.data.id}"`);
    // Acknowledged by the router when the command had an id; deliberately no broadcast.
  });
}

function toWireItem(item: MemoryItem): WireItem {
  return { id: item.id, kind: item.kind, text: item.text, importance: item.importance, created_at: item.createdAt, turn_id: item.turnId, interrupted: item.interrupted ?? false };
}
