/**
 * The PostgreSQL store when its server goes away and comes back (a real
 * PostgreSQL, stopped and started again): every call fails with EngineError
 * `unavailable` naming the operation, `health()` says so (even with no
 * call made), and once the server is back the store recovers by itself
 * (its probe, or the next call) with every memory acknowledged before the
 * outage still there.
 */
import { afterEach, beforeAll, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { PostgresMemoryStore } from "../../../actors/memory/postgres.js";
import type { MemoryHealth } from "../../../actors/memory/types.js";
import { usePostgres } from "../../helpers/postgres.js";
import { until } from "../../helpers/wait.js";

const pg = usePostgres();
let url: string;
const opened: PostgresMemoryStore[] = [];
beforeAll(async () => {
  url = await pg().database();
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

async function open(options: { probeIntervalMs?: number; onHealthChange?: (health: MemoryHealth) => void } = {}) {
  const store = await PostgresMemoryStore.open({ url, connectTimeoutMs: 2000, ...options });
  opened.push(store);
  return store;
}

async function failure(promise: Promise<unknown>): Promise<EngineError> {
  const err = await promise.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

it("fails every call with `unavailable` while the server is down, then recovers with what was acknowledged", async () => {
  const changes: MemoryHealth[] = [];
  const store = await open({ probeIntervalMs: 50, onHealthChange: (h) => changes.push(h) });
  const kept = [await store.remember({ text: "My sister lives in Lisbon" }), await store.storeTurn({ turnId: "t1", user: "Where is the lighthouse?", assistant: "On the cliff." })];
  expect(store.health()).toEqual({ ok: true });

  await pg().stop();
  // Noticed with no call made (the pool's dropped connections, the probe).
  await until(() => !store.health().ok, "the store to report the outage", 15_000);
  const recall = await failure(store.recall("where does my sister live?"));
  expect(recall.code).toBe("unavailable");
  expect(recall.message).toMatch(/^Recalling memories: The PostgreSQL memory database cannot be reached \(.+\)$/);
  expect((await failure(store.remember({ text: "My cat is called Miso" }))).code).toBe("unavailable");
  expect((await failure(store.storeTurn({ turnId: "t2", user: "hi", assistant: "hello" }))).message).toMatch(/^Storing a turn: The PostgreSQL memory database cannot be reached/);
  expect((await failure(store.list())).code).toBe("unavailable");
  expect((await failure(store.forget(kept[0]!.id))).code).toBe("unavailable");
  expect(store.health()).toMatchObject({ ok: false, code: "unavailable", message: expect.stringMatching(/cannot be reached/), since: expect.any(String) });
  // Told once, however many calls failed.
  expect(changes).toEqual([store.health()]);

  await pg().start();
  // The probe finds the server back without any call being made.
  await until(() => store.health().ok, "the store to report itself healthy again", 15_000);
  expect(changes.map((h) => h.ok)).toEqual([false, true]);
  expect((await store.list()).map((m) => m.id)).toEqual([kept[1]!.id, kept[0]!.id]);
  expect((await store.recall("where does my sister live?")).map((h) => h.item.id)).toEqual([kept[0]!.id]);
  const after = await store.remember({ text: "My cat is called Miso" });
  expect((await store.recall("cat")).map((h) => h.item.id)).toEqual([after.id]);
});

it("recovers on the next call too, and check() asks the server at once", async () => {
  const store = await open({ probeIntervalMs: 3_600_000 });
  await store.remember({ text: "The garage code is 4711" });
  await pg().stop();
  expect((await store.check()).ok).toBe(false);
  await pg().start();
  // No probe runs within the test: the call itself reconnects.
  expect((await store.recall("garage code")).map((h) => h.item.text)).toEqual(["The garage code is 4711"]);
  expect(store.health()).toEqual({ ok: true });
  expect(await store.check()).toEqual({ ok: true });
});

it("a store opened on a server that then restarts drops its dead connections without crashing the process", async () => {
  const store = await open();
  await store.remember({ text: "warm the pool" });
  await Promise.all([store.list(), store.list(), store.list()]);
  await pg().stop();
  await pg().start();
  // The pool's idle connections were terminated by the shutdown; the next calls get new ones.
  await until(async () => (await store.list().then(() => true, () => false)), "a call to succeed after the restart", 15_000);
  expect((await store.list()).map((m) => m.text)).toContain("warm the pool");
});

it("after close, calls fail with storage_error and health says closed", async () => {
  const store = await PostgresMemoryStore.open({ url });
  await store.close();
  await store.close();
  expect((await failure(store.list())).message).toBe("Listing memories: the memory store is closed");
  expect(store.health()).toMatchObject({ ok: false, code: "storage_error" });
});
