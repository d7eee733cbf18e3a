/**
 * A session's lease: one node wins it, renews it every third of its TTL,
 * hears why it lost it (taken, expired, unreachable), releases only its
 * own; and the handover: another node's watcher notices the expired lease
 * of a holder that stopped renewing and takes the session. Time on the
 * nodes' side is a clock the test moves (the TTL runs on Redis's clock);
 * the handover is asserted by the order of what happened, not by durations.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { Lease, LeaseWatcher, sessionKeys, type LeaseLoss } from "../../../server/cluster/index.js";
import { ManualClock } from "../../helpers/clock.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { useRedis, useRedisClients } from "../../helpers/redis.js";
import { until } from "../../helpers/wait.js";

const redis = useRedis();
const { connect } = useRedisClients(redis);
const cleanup = useCleanup();
beforeEach(async () => {
  if (!redis().running) await redis().start();
  await redis().flush();
});

const owner = sessionKeys("s1").owner;

/** Acquire s1 for `holder`, abandoning it after the test. */
async function acquire(holder: string, options: { leaseMs: number; clock?: ManualClock }) {
  const client = await connect(holder);
  const lease = await Lease.acquire({ client, session: "s1", holder, ...options });
  if (lease) cleanup.push(() => lease.abandon());
  const lost: LeaseLoss[] = [];
  lease?.onLost((reason) => lost.push(reason));
  return { client, lease, lost };
}

describe("holding a lease", () => {
  it("goes to one node: a second acquire gets null while the first holds it", async () => {
    const a = await acquire("node-a", { leaseMs: 60_000, clock: new ManualClock() });
    const b = await acquire("node-b", { leaseMs: 60_000, clock: new ManualClock() });
    expect(a.lease?.held).toBe(true);
    expect(b.lease).toBeNull();
    expect(await Lease.holderOf(a.client, "s1")).toBe("node-a");
    const ttl = await a.client.pTTL(owner);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("renews every third of the lease, pushing the expiry out again", async () => {
    const clock = new ManualClock();
    const a = await acquire("node-a", { leaseMs: 60_000, clock });
    await a.client.pExpire(owner, 10_000);
    clock.advance(19_999);
    expect(await a.client.pTTL(owner)).toBeLessThanOrEqual(10_000);
    clock.advance(1);
    expect(await a.lease!.renew()).toBe(true);
    expect(await a.client.pTTL(owner)).toBeGreaterThan(10_000);
    expect(a.lost).toEqual([]);
  });

  it("is lost as `taken` when another node holds the key at the next renewal, and stops renewing", async () => {
    const clock = new ManualClock();
    const a = await acquire("node-a", { leaseMs: 3000, clock });
    await a.client.set(owner, "node-b");
    clock.advance(1000);
    expect(await a.lease!.renew()).toBe(false);
    expect(a.lost).toEqual(["taken"]);
    expect(a.lease!.held).toBe(false);
    expect(clock.pending).toBe(0);
    expect(await a.client.get(owner)).toBe("node-b");
  });

  it("is lost as `expired` when the key is gone at the next renewal (and is not taken back behind anyone's back)", async () => {
    const clock = new ManualClock();
    const a = await acquire("node-a", { leaseMs: 3000, clock });
    await a.client.del(owner);
    clock.advance(1000);
    await until(() => a.lost.length > 0, "the loss");
    expect(a.lost).toEqual(["expired"]);
    expect(await a.client.exists(owner)).toBe(0);
  });

  it("is lost as `unreachable` once no renewal has reached Redis for a whole lease, not before", async () => {
    const clock = new ManualClock();
    const a = await acquire("node-a", { leaseMs: 3000, clock });
    await redis().stop();
    clock.advance(1000);
    expect(await a.lease!.renew()).toBe(true);
    clock.advance(1000);
    expect(await a.lease!.renew()).toBe(true);
    expect(a.lost).toEqual([]);
    clock.advance(1000);
    await until(() => a.lost.length > 0, "the loss");
    expect(a.lost).toEqual(["unreachable"]);
    expect(a.lease!.held).toBe(false);
  });

  it("releases only its own lease (compare-and-delete)", async () => {
    const a = await acquire("node-a", { leaseMs: 60_000, clock: new ManualClock() });
    expect(await a.lease!.release()).toBe(true);
    expect(a.lost).toEqual(["released"]);
    expect(await a.client.exists(owner)).toBe(0);

    const again = await acquire("node-a", { leaseMs: 60_000, clock: new ManualClock() });
    await again.client.set(owner, "node-b");
    expect(await again.lease!.release()).toBe(false);
    expect(await again.client.get(owner)).toBe("node-b");
  });

  it("refuses a lease shorter than 30 ms and a bad node id", async () => {
    const client = await connect();
    await expect(Lease.acquire({ client, session: "s1", holder: "node-a", leaseMs: 10 })).rejects.toThrow(new TypeError("leaseMs must be an integer of at least 30, got 10"));
    await expect(Lease.acquire({ client, session: "s1", holder: "node a" })).rejects.toThrow(TypeError);
  });
});

describe("watching leases", () => {
  it("reports, at each check every leaseMs/2, the watched sessions nobody holds", async () => {
    const client = await connect();
    await client.set(sessionKeys("held").owner, "node-a");
    const clock = new ManualClock();
    const reported: string[][] = [];
    const watcher = new LeaseWatcher({ client, leaseMs: 1000, clock, onExpired: () => {} });
    cleanup.push(() => watcher.close());
    watcher.watch("held");
    watcher.watch("orphan");
    clock.advance(499);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    reported.push(await watcher.check());
    watcher.unwatch("orphan");
    clock.advance(500);
    reported.push(await watcher.check());
    await client.del(sessionKeys("held").owner);
    clock.advance(500);
    reported.push(await watcher.check());
    expect(reported).toEqual([["orphan"], [], ["held"]]);
    watcher.close();
    expect(clock.pending).toBe(0);
  });

  it("hands the session over: a holder stops renewing, another node notices the expiry, takes the lease, and the old holder hears it was taken", async () => {
    const happened: string[] = [];
    // Node A's clock never moves until the end: it renews nothing, like a node that froze or died.
    const clockA = new ManualClock();
    const a = await acquire("node-a", { leaseMs: 300, clock: clockA });
    a.lease!.onLost((reason) => happened.push(`node-a lost: ${reason}`));
    happened.push("node-a holds");

    const clientB = await connect("node-b");
    let leaseB: Lease | null = null;
    const watcher = new LeaseWatcher({
      client: clientB,
      leaseMs: 300,
      onExpired: (session) => {
        if (happened.includes("node-b noticed")) return;
        happened.push("node-b noticed");
        watcher.unwatch(session);
        void Lease.acquire({ client: clientB, session, holder: "node-b", leaseMs: 300 }).then((lease) => {
          leaseB = lease;
          happened.push(lease ? "node-b holds" : "node-b lost the race");
        });
      },
    });
    cleanup.push(() => watcher.close());
    cleanup.push(() => leaseB?.abandon());
    watcher.watch("s1");
    await until(() => leaseB !== null, "node B to take the lease");
    expect(await clientB.get(owner)).toBe("node-b");
    clockA.advance(100);
    await until(() => a.lost.length > 0, "node A to hear it");
    expect(happened).toEqual(["node-a holds", "node-b noticed", "node-b holds", "node-a lost: taken"]);
    expect(leaseB!.held).toBe(true);
  });
});
