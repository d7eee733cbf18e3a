/**
 * What any node can tell about the cluster's sessions (GET /sessions): the
 * node running each (its lease), clients per live node, turns, last seq
 * (from the stream), created and last active; closed sessions leave
 * nothing behind. And the chat history a new owner reads back.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { appendEvents, HistoryStore, NodeRegistry, SessionIndex, sessionKeys } from "../../../server/cluster/index.js";
import { useRedis, useRedisClients } from "../../helpers/redis.js";

const redis = useRedis();
const { connect } = useRedisClients(redis);
beforeEach(() => redis().flush());

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));

describe("the session index", () => {
  it("lists every session oldest first with its node, clients on live nodes, turns, last seq and times", async () => {
    const client = await connect();
    const index = new SessionIndex(client);
    await index.upsert("kitchen", { created: at(1), epoch: "e1", node: "node-a" });
    await index.upsert("garage", { created: at(0) });
    await client.set(sessionKeys("kitchen").owner, "node-a");
    await index.setClients("kitchen", "node-a", 2);
    await index.setClients("kitchen", "node-b", 3);
    await index.setClients("kitchen", "node-dead", 9);
    await appendEvents(client, "kitchen", [1, 2, 3].map((seq) => ({ seq, frame: Buffer.from(`{"seq":${seq}}`) })), { maxLen: 100 });
    await index.upsert("kitchen", { turns: 2, last_active: at(30) });

    expect(await index.list(["node-a", "node-b"])).toEqual([
      { id: "garage", node: null, clients: 0, clients_by_node: {}, last_seq: 0, turns: 0, created: at(0).toISOString(), last_active: at(0).toISOString(), epoch: null },
      { id: "kitchen", node: "node-a", clients: 5, clients_by_node: { "node-a": 2, "node-b": 3 }, last_seq: 3, turns: 2, created: at(1).toISOString(), last_active: at(30).toISOString(), epoch: "e1" },
    ]);
  });

  it("keeps a session's creation time and place when it is recorded again (a node taking it over)", async () => {
    const client = await connect();
    const index = new SessionIndex(client);
    await index.upsert("s1", { created: at(5) });
    await index.upsert("s1", { node: "node-b", last_active: at(9) });
    const [row] = await index.list([]);
    expect(row).toMatchObject({ id: "s1", created: at(5).toISOString(), last_active: at(9).toISOString() });
    expect(await client.zScore("coda:sessions", "s1")).toBe(at(5).getTime());
  });

  it("counts clients only of the nodes the registry lists as live, by default", async () => {
    const client = await connect();
    const index = new SessionIndex(client);
    await index.upsert("s1", { created: at(0) });
    await index.setClients("s1", "node-a", 1);
    await index.setClients("s1", "node-gone", 4);
    await new NodeRegistry({ client, id: "node-a", maxSessions: 10, report: () => ({ sessions: 1, load: 0, draining: false }) }).heartbeat();
    // An entry that expired (or cannot be read) is not a live node.
    await client.hSet("coda:nodes", "node-gone", "{}");
    expect((await index.list())[0]).toMatchObject({ clients: 1, clients_by_node: { "node-a": 1 } });
    await index.setClients("s1", "node-a", 0);
    expect((await index.list())[0]).toMatchObject({ clients: 0, clients_by_node: {} });
  });

  it("forgets a closed session with everything it stored", async () => {
    const client = await connect();
    const index = new SessionIndex(client);
    const history = new HistoryStore({ client, schema: z.array(z.string()) });
    await index.upsert("s1", { created: at(0) });
    await index.setClients("s1", "node-a", 1);
    await appendEvents(client, "s1", [{ seq: 1, frame: Buffer.from("{}") }], { maxLen: 10 });
    await history.write("s1", ["hello"]);
    await client.xAdd(sessionKeys("s1").cmd, "*", { d: "{}" });
    await index.remove("s1");
    expect(await index.list([])).toEqual([]);
    expect(await client.keys("coda:*")).toEqual([]);
  });
});

describe("the chat history", () => {
  const Message = z.strictObject({ role: z.enum(["user", "assistant"]), content: z.string() });
  const History = z.array(Message);

  it("is read back by another node as the owner wrote it after the last turn", async () => {
    const ownerClient = await connect("node-a");
    const nextOwner = await connect("node-b");
    const turns = [
      { role: "user" as const, content: "My sister lives in Lisbon" },
      { role: "assistant" as const, content: "Noted — Lisbon." },
    ];
    await new HistoryStore({ client: ownerClient, schema: History }).write("s1", turns.slice(0, 1));
    await new HistoryStore({ client: ownerClient, schema: History }).write("s1", turns);
    expect(await new HistoryStore({ client: nextOwner, schema: History }).read("s1")).toEqual(turns);
    expect(await new HistoryStore({ client: nextOwner, schema: History }).read("other")).toBeNull();
  });

  it("is written only by the lease holder when fenced, so a node that lost the session cannot overwrite it", async () => {
    const client = await connect();
    const store = new HistoryStore({ client, schema: History });
    await client.set(sessionKeys("s1").owner, "node-b");
    await store.write("s1", [{ role: "user", content: "from b" }], { holder: "node-b" });
    await expect(store.write("s1", [], { holder: "node-a" })).rejects.toMatchObject({ name: "ClusterError", code: "not_owner", message: "Session s1: this node (node-a) does not hold the lease; the history was not written" });
    expect(await store.read("s1")).toEqual([{ role: "user", content: "from b" }]);
  });

  it("refuses a history over its bound and keeps the stored one", async () => {
    const client = await connect();
    const store = new HistoryStore({ client, schema: History, maxBytes: 100 });
    await store.write("s1", [{ role: "user", content: "short" }]);
    await expect(store.write("s1", [{ role: "user", content: "x".repeat(200) }])).rejects.toMatchObject({ code: "too_large" });
    expect(await store.read("s1")).toEqual([{ role: "user", content: "short" }]);
  });

  it("reports a stored value that is not a valid history instead of returning it", async () => {
    const client = await connect();
    const store = new HistoryStore({ client, schema: History });
    await client.set(sessionKeys("s1").history, "{not json");
    await expect(store.read("s1")).rejects.toThrow("Session s1: the stored chat history is not valid JSON");
    await client.set(sessionKeys("s1").history, JSON.stringify([{ role: "robot", content: "hi" }]));
    await expect(store.read("s1")).rejects.toThrow(/^Session s1: the stored chat history is not valid \(0\.role: /);
  });
});
