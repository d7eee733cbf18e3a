/**
 * Connecting a node to Redis: unreachable at start-up is one clear error
 * (code `redis_unavailable`, exit code 2, the URL without its password);
 * a bad URL is a TypeError; the health flag follows the connection down and
 * back up; and nothing loads the `redis` client until a connection is
 * opened (a server without --redis-url never loads it).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ClusterError, openClusterNode, openRedis, redactRedisUrl, RedisHealth } from "../../../server/cluster/index.js";
import { useRedis, useRedisClients } from "../../helpers/redis.js";
import { closedPort } from "../../helpers/http-server.js";
import { until } from "../../helpers/wait.js";

const run = promisify(execFile);
const redis = useRedis();
const { connect, node } = useRedisClients(redis);

describe("start-up", () => {
  it("fails with redis_unavailable and exit code 2 when nothing listens, naming the URL without its password", async () => {
    const port = await closedPort();
    const err = await openRedis({ url: `redis://coda:s3cret@127.0.0.1:${port}/0` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err).toMatchObject({ code: "redis_unavailable", exitCode: 2, message: `Redis at redis://coda:***@127.0.0.1:${port}/0 cannot be reached (connect ECONNREFUSED 127.0.0.1:${port})` });
    expect((err as Error).message).not.toContain("s3cret");
  });

  it("refuses a URL that is not redis:// or rediss:// with a TypeError", async () => {
    await expect(openRedis({ url: "http://127.0.0.1:6379" })).rejects.toThrow(new TypeError('Invalid Redis URL "http://127.0.0.1:6379": expected redis://host:port or rediss://host:port'));
    await expect(openRedis({ url: redis().url, connectTimeoutMs: 0 })).rejects.toThrow(new TypeError("connectTimeoutMs must be a positive integer, got 0"));
    expect(redactRedisUrl("redis://:pw@cache:6379")).toBe("redis://:***@cache:6379");
  });

  it("opens a node's connections together, or none: unreachable is redis_unavailable with exit code 2", async () => {
    const port = await closedPort();
    await expect(openClusterNode({ url: `redis://127.0.0.1:${port}`, node: "node-a" })).rejects.toMatchObject({ name: "ClusterError", code: "redis_unavailable", exitCode: 2 });
    await expect(openClusterNode({ url: redis().url, node: "node a" })).rejects.toThrow(TypeError);
    const names = (await (await connect()).clientList()).map((c) => c.name);
    expect(names.filter((n) => n.startsWith("coda:node"))).toEqual([]);
  });

  it("connects and names the connection", async () => {
    const client = await connect("coda:node-a");
    expect(await client.ping()).toBe("PONG");
    expect((await client.clientList()).some((c) => c.name === "coda:node-a")).toBe(true);
  });
});

describe("health", () => {
  it("is not ok while Redis is away and ok again once the connection is back, telling listeners each change", async () => {
    const client = await connect("owner");
    const health = new RedisHealth();
    health.watch("owner", client);
    expect(health.status()).toMatchObject({ ok: true, down: [], reason: null });
    const seen: boolean[] = [];
    health.onChange((s) => seen.push(s.ok));
    await redis().stop();
    await until(() => !health.ok, "the flag to drop");
    expect(health.status().down).toEqual(["owner"]);
    expect(health.status().reason).toEqual(expect.any(String));
    await redis().start();
    await until(() => health.ok, "the flag to come back", 10_000);
    expect(seen).toEqual([false, true]);
    health.close();
  });
});

describe("a node's health", () => {
  it("follows both of the node's connections, the commands and the reader", async () => {
    const a = await node("node-a");
    expect(a.health.ok).toBe(true);
    await redis().stop();
    await until(() => a.health.status().down.length === 2, "both connections to be down");
    expect(a.health.status().down.sort()).toEqual(["commands", "reader"]);
    await redis().start();
    await until(() => a.health.ok, "both connections back", 10_000);
  });
});

describe("loading", () => {
  it("does not load the redis client when the package or the cluster module is imported, only when a connection opens", async () => {
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((p) => /node_modules[\\\\/](redis|@redis)[\\\\/]/.test(p));
      await import("./server/index.ts");
      const cluster = await import("./server/cluster/index.ts");
      const before = loaded();
      await cluster.openRedis({ url: "redis://127.0.0.1:1" }).catch(() => {});
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd() });
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual({ before: false, after: true });
  }, 60_000);
});
