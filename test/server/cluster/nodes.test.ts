/**
 * Where sessions go: the live nodes of the registry (heartbeats that expire
 * on Redis's clock, a drained node leaving) and the placement rule (the
 * least-loaded eligible node), table-tested.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { chooseNode, listNodes, NodeRegistry, type NodeReport, type PlacementCandidate } from "../../../server/cluster/index.js";
import { ManualClock } from "../../helpers/clock.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { useRedis, useRedisClients } from "../../helpers/redis.js";
import { until } from "../../helpers/wait.js";

const node = (id: string, sessions: number, load = 0, extra: Partial<PlacementCandidate> = {}): PlacementCandidate => ({ id, sessions, load, maxSessions: 100, draining: false, ...extra });

describe("placement", () => {
  it.each([
    { why: "fewest sessions", nodes: [node("a", 5), node("b", 2), node("c", 9)], local: "a", chosen: "b" },
    { why: "share of capacity, not the raw count", nodes: [node("a", 50, 0, { maxSessions: 1000 }), node("b", 10)], local: "b", chosen: "a" },
    { why: "equal shares: the lower load figure", nodes: [node("a", 4, 0.7), node("b", 4, 0.2)], local: "a", chosen: "b" },
    { why: "a full tie stays on the asking node", nodes: [node("a", 4, 0.5), node("b", 4, 0.5), node("c", 4, 0.5)], local: "c", chosen: "c" },
    { why: "a full tie elsewhere: the smallest id", nodes: [node("c", 1), node("b", 1)], local: "x", chosen: "b" },
    { why: "a draining node takes none", nodes: [node("a", 0, 0, { draining: true }), node("b", 50)], local: "a", chosen: "b" },
    { why: "a full node takes none", nodes: [node("a", 100), node("b", 99)], local: "a", chosen: "b" },
    { why: "over its maxSessions (lowered since) takes none", nodes: [node("a", 120), node("b", 99)], local: "a", chosen: "b" },
    { why: "nobody can take it", nodes: [node("a", 100), node("b", 0, 0, { draining: true })], local: "a", chosen: null },
    { why: "no nodes", nodes: [], local: "a", chosen: null },
  ])("$why", ({ nodes, local, chosen }) => {
    expect(chooseNode(nodes, local)).toBe(chosen);
    // The order of the list does not matter.
    expect(chooseNode([...nodes].reverse(), local)).toBe(chosen);
  });
});

describe("the node registry", () => {
  const redis = useRedis();
  const { connect } = useRedisClients(redis);
  const cleanup = useCleanup();
  beforeEach(() => redis().flush());

  async function register(id: string, report: NodeReport, options: { ttlMs?: number; clock?: ManualClock; maxSessions?: number } = {}) {
    const client = await connect(id);
    const registry = new NodeRegistry({ client, id, maxSessions: options.maxSessions ?? 100, report: () => report, ...options });
    cleanup.push(() => registry.stop());
    await registry.start();
    return registry;
  }

  it("lists every live node with what it reported, so every node places sessions alike", async () => {
    const a = await register("node-a", { sessions: 3, load: 0.25, draining: false });
    await register("node-b", { sessions: 1, load: 0.5, draining: false }, { maxSessions: 10 });
    await register("node-c", { sessions: 0, load: 0, draining: true });
    const nodes = await a.list();
    expect(nodes.map(({ id, sessions, load, maxSessions, draining }) => ({ id, sessions, load, maxSessions, draining }))).toEqual([
      { id: "node-a", sessions: 3, load: 0.25, maxSessions: 100, draining: false },
      { id: "node-b", sessions: 1, load: 0.5, maxSessions: 10, draining: false },
      { id: "node-c", sessions: 0, load: 0, maxSessions: 100, draining: true },
    ]);
    expect(nodes.every((n) => n.expires_at - n.heartbeat_at === 5000)).toBe(true);
    expect(chooseNode(nodes, "node-a")).toBe("node-a");
  });

  it("heartbeats every third of its TTL with a fresh report", async () => {
    const clock = new ManualClock();
    let sessions = 0;
    const client = await connect("node-a");
    const registry = new NodeRegistry({ client, id: "node-a", maxSessions: 100, ttlMs: 60_000, clock, report: () => ({ sessions, load: 0, draining: false }) });
    cleanup.push(() => registry.stop());
    await registry.start();
    sessions = 7;
    clock.advance(19_999);
    expect((await listNodes(client))[0]!.sessions).toBe(0);
    clock.advance(1);
    await until(async () => (await listNodes(client))[0]?.sessions === 7, "the next heartbeat");
  });

  it("drops a node that stopped heartbeating once its entry expires, and a node that leaves at once", async () => {
    const a = await register("node-a", { sessions: 0, load: 0, draining: false }, { ttlMs: 1000 });
    const b = await register("node-b", { sessions: 0, load: 0, draining: false }, { ttlMs: 60_000 });
    const c = await register("node-c", { sessions: 0, load: 0, draining: false }, { ttlMs: 60_000 });
    a.stop();
    await c.leave();
    expect((await b.list()).map((n) => n.id)).toContain("node-a");
    expect((await b.list()).map((n) => n.id)).not.toContain("node-c");
    await until(async () => !(await b.list()).some((n) => n.id === "node-a"), "node-a's entry to expire");
    expect((await b.list()).map((n) => n.id)).toEqual(["node-b"]);
    // Listing removed the expired entry, not only hid it.
    expect(await (await connect()).hKeys("coda:nodes")).toEqual(["node-b"]);
  });

  it("refuses a report that placement could not compare", async () => {
    const client = await connect();
    const registry = new NodeRegistry({ client, id: "node-a", maxSessions: 100, report: () => ({ sessions: 1, load: Number.NaN, draining: false }) });
    await expect(registry.start()).rejects.toThrow(new TypeError("a node's load must be a non-negative number, got NaN"));
    expect(() => new NodeRegistry({ client, id: "node-a", maxSessions: 0, report: () => ({ sessions: 0, load: 0, draining: false }) })).toThrow(new TypeError("maxSessions must be a positive integer, got 0"));
  });
});
