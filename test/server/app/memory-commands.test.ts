/**
 * Memory viewer commands over a real WebSocket: memory_list, memory_search,
 * memory_forget answer the requester only, validate their data, and report
 * storage failures as command_error `unavailable` without broadcasting.
 */
import Database from "libsql";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import type { MemoryStore } from "../../../actors/memory/types.js";
import { registerMemoryCommands, type ViewerMemoryStore } from "../../../server/app/memory-commands.js";
import { validateEvent } from "../../../server/protocol/index.js";
import { TestClient } from "../../helpers/client.js";
import { sleep } from "../../helpers/wait.js";
import { startServer } from "../../helpers/server.js";
import { tempDir } from "../../helpers/temp-dir.js";
import { useCleanup } from "../../helpers/cleanup.js";

const cleanups = useCleanup();

async function setup(store: ViewerMemoryStore | null) {
  const server = await startServer();
  cleanups.push(() => server.stop());
  registerMemoryCommands(server, store);
  const client = await TestClient.connect(server.wsUrl);
  cleanups.push(() => client.close());
  await client.waitForType("replay");
  const other = await TestClient.connect(server.wsUrl);
  cleanups.push(() => other.close());
  await other.waitForType("replay");
  // Presence is announced once both are in, so it cannot arrive in the middle of a test's answers.
  const bothIn = (m: { type: string; data: unknown }) => m.type === "connection_status" && (m.data as { status: string; clients: number }).status === "clients_changed" && (m.data as { clients: number }).clients === 2;
  await Promise.all([client.waitFor(bothIn), other.waitFor(bothIn)]);
  return { server, client, other };
}

function sqliteStore(options: ConstructorParameters<typeof SqliteMemoryStore>[0] = {}) {
  const tmp = tempDir();
  let clock = Date.UTC(2026, 4, 1);
  const store = new SqliteMemoryStore({ path: tmp.file(), now: () => new Date((clock += 1000)), ...options });
  cleanups.push(() => tmp.remove());
  cleanups.push(() => store.close());
  return { store, path: tmp.file() };
}

/** Messages after index `from`, excluding other clients coming and going. */
const since = (client: TestClient, from: number) => client.messages.slice(from).filter((m) => m.type !== "connection_status");

describe("memory_list", () => {
  it("answers the requester only with memory_items newest first, then acks; nothing is logged", async () => {
    const { store } = sqliteStore();
    const fact = await store.remember({ text: "The user's cat is called Miso", kind: "fact", importance: 0.8 });
    const turn = await store.storeTurn({ turnId: "t1", user: "Hi", assistant: "Hello!" });
    const { server, client, other } = await setup(store);

    const from = client.messages.length;
    const ack = await client.command("memory_list", {}, "list-1");
    expect(ack).toMatchObject({ type: "command_ack", data: { id: "list-1", command: "memory_list" } });
    const replies = since(client, from);
    expect(replies.map((m) => m.type)).toEqual(["memory_items", "command_ack"]);
    const answer = replies[0]!;
    expect(() => validateEvent(answer)).not.toThrow();
    expect(answer.seq).toBeUndefined();
    expect(answer.data).toEqual({
      query: null,
      items: [
        { id: turn.id, kind: "turn", text: "User: Hi\nAssistant: Hello!", importance: 0.3, created_at: turn.createdAt, turn_id: "t1", interrupted: false },
        { id: fact.id, kind: "fact", text: "The user's cat is called Miso", importance: 0.8, created_at: fact.createdAt, turn_id: null, interrupted: false },
      ],
    });
    await sleep(30);
    expect(other.ofType("memory_items")).toHaveLength(0);
    expect(server.lastSeq).toBe(0);
  });

  it("honours limit and answers without an id by memory_items alone", async () => {
    const { store } = sqliteStore();
    for (let i = 0; i < 25; i++) await store.remember({ text: `note ${i}` });
    const { client } = await setup(store);

    client.send({ type: "memory_list" });
    const all = await client.waitForType("memory_items");
    expect(all.data.items.length).toBe(20);
    expect(all.data.items[0]!.text).toBe("note 24");

    const from = client.messages.length;
    client.send({ type: "memory_list", data: { limit: 3 } });
    const three = await client.waitForType("memory_items", { from });
    expect(three.data.items.map((i) => i.text)).toEqual(["note 24", "note 23", "note 22"]);
    await sleep(30);
    expect(since(client, from).map((m) => m.type)).toEqual(["memory_items"]);
  });

  it("refuses invalid data with invalid_data and keeps the connection", async () => {
    const { store } = sqliteStore();
    const { client } = await setup(store);
    const bad = [
      ["memory_list", { limit: 0 }, "data.limit"],
      ["memory_list", { limit: 101 }, "data.limit"],
      ["memory_search", {}, "data.query"],
      ["memory_search", { query: "   " }, "data.query"],
      ["memory_forget", { id: "" }, "data.id"],
      ["memory_forget", {}, "data.id"],
    ] as const;
    for (const [type, data, path] of bad) {
      const err = await client.command(type, data, `${type}-bad`);
      expect(err.type).toBe("command_error");
      expect(err.data).toMatchObject({ id: `${type}-bad`, command: type, code: "invalid_data", issues: [expect.objectContaining({ path })] });
    }
    expect((await client.command("memory_list", {}, "still-open")).type).toBe("command_ack");
  });
});

describe("memory_search", () => {
  it("answers with the matching memories, best first, echoing the query", async () => {
    const { store } = sqliteStore();
    const tea = await store.remember({ text: "The user likes green tea", kind: "preference" });
    await store.remember({ text: "The user's car is green" });
    await store.remember({ text: "Unrelated fact" });
    const { client } = await setup(store);

    const from = client.messages.length;
    expect((await client.command("memory_search", { query: "green te" }, "s1")).type).toBe("command_ack");
    const answer = since(client, from)[0]!;
    expect(answer).toMatchObject({ type: "memory_items", data: { query: "green te", items: [{ id: tea.id, kind: "preference", importance: 0.7 }] } });

    client.send({ type: "memory_search", data: { query: 'NEAR( "* OR', limit: 5 } });
    const none = await client.waitFor((m) => m.type === "memory_items" && m.data.query === 'NEAR( "* OR');
    expect(none.data).toEqual({ query: 'NEAR( "* OR', items: [] });
  });

  it("falls back to recall for a store without search", async () => {
    const { store } = sqliteStore();
    const cat = await store.remember({ text: "The cat sleeps" });
    const plain: MemoryStore = {
      name: "plain",
      recall: (q, o) => store.recall(q, o),
      storeTurn: (t) => store.storeTurn(t),
      remember: (f) => store.remember(f),
      list: (o) => store.list(o),
      forget: (id) => store.forget(id),
      close: async () => {},
    };
    const { client } = await setup(plain);
    client.send({ type: "memory_search", data: { query: "where does the cat sleep" } });
    const answer = await client.waitForType("memory_items");
    expect(answer.data.items.map((i) => i.id)).toEqual([cat.id]);
  });
});

describe("memory_forget", () => {
  it("acks a removed memory, then answers not_found for it; broadcasts nothing", async () => {
    const { store } = sqliteStore();
    const keep = await store.remember({ text: "keep me" });
    const gone = await store.remember({ text: "forget me" });
    const { server, client, other } = await setup(store);
    const otherFrom = other.messages.length;

    expect(await client.command("memory_forget", { id: gone.id }, "f1")).toMatchObject({ type: "command_ack", data: { id: "f1", command: "memory_forget" } });
    expect((await store.list()).map((m) => m.id)).toEqual([keep.id]);
    expect(await store.recall("forget")).toEqual([]);

    const again = await client.command("memory_forget", { id: gone.id }, "f2");
    expect(again).toMatchObject({
      type: "command_error",
      data: { id: "f2", command: "memory_forget", code: "not_found", message: `There is no memory with id "${gone.id}"` },
    });
    expect(() => validateEvent(again)).not.toThrow();

    // Without an id, not_found still answers (id null) so the viewer learns about it.
    const from = client.messages.length;
    client.send({ type: "memory_forget", data: { id: "mem_missing" } });
    const err = await client.waitForType("command_error", { from });
    expect(err.data).toEqual({ id: null, command: "memory_forget", code: "not_found", message: 'There is no memory with id "mem_missing"' });

    await sleep(30);
    expect(other.messages.slice(otherFrom)).toEqual([]);
    expect(server.lastSeq).toBe(0);
  });
});

describe("storage failures", () => {
  it("answers command_error unavailable with the store's code when the database is locked, and broadcasts no memory_error", async () => {
    const { store, path } = sqliteStore({ busyTimeoutMs: 0 });
    const item = await store.remember({ text: "locked away" });
    const { client, other } = await setup(store);
    const otherFrom = other.messages.length;

    const lock = new Database(path);
    lock.exec("BEGIN IMMEDIATE");
    try {
      const err = await client.command("memory_forget", { id: item.id }, "locked-1");
      expect(err.type).toBe("command_error");
      expect(err.data).toMatchObject({ id: "locked-1", command: "memory_forget", code: "unavailable" });
      expect((err.data as { message: string }).message).toMatch(/^Memory is unavailable \(locked\): Forgetting a memory: The memory database is locked/);
      // Reads still work in WAL mode while another connection writes.
      expect((await client.command("memory_list", {}, "read-ok")).type).toBe("command_ack");
    } finally {
      lock.exec("ROLLBACK");
      lock.close();
    }
    expect((await client.command("memory_forget", { id: item.id }, "after")).type).toBe("command_ack");
    await sleep(30);
    expect(other.messages.slice(otherFrom)).toEqual([]);
  });

  it("answers unavailable for every command when the store fails or is missing", async () => {
    const failing = (code: string): MemoryStore => {
      const fail = async (): Promise<never> => {
        throw new EngineError(code, "The memory database file is corrupt or not a database; it was left untouched");
      };
      return { name: "failing", recall: fail, storeTurn: fail, remember: fail, list: fail, forget: fail, close: async () => {} };
    };
    const { client } = await setup(failing("corrupt"));
    for (const [type, data] of [["memory_list", {}], ["memory_search", { query: "x" }], ["memory_forget", { id: "m" }]] as const) {
      const err = await client.command(type, data, `${type}-1`);
      expect(err.data).toEqual({
        id: `${type}-1`,
        command: type,
        code: "unavailable",
        message: "Memory is unavailable (corrupt): The memory database file is corrupt or not a database; it was left untouched",
      });
    }

    const { client: noMemory } = await setup(null);
    expect((await noMemory.command("memory_list", {}, "n1")).data).toEqual({
      id: "n1",
      command: "memory_list",
      code: "unavailable",
      message: "Long-term memory is disabled on this server",
    });
  });

  it("reports a store bug as internal_error without details", async () => {
    const buggy = { name: "buggy", list: async () => { throw new TypeError("secret internals"); } } as unknown as MemoryStore;
    const { client } = await setup(buggy);
    const err = await client.command("memory_list", {}, "b1");
    expect(err.data).toEqual({ id: "b1", command: "memory_list", code: "internal_error", message: "The server failed to handle this command; see the server log." });
  });
});
