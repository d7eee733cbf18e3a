/**
 * The engine pool every shared engine uses: at most `size` members, work
 * served first come first served, the wait each caller had (on a clock the
 * test moves), growth on demand, abort of queued and running work, dead
 * members replaced, a failed start, idle members stopped, close.
 */
import { describe, expect, it } from "vitest";
import { EnginePool, type EnginePoolOptions } from "../../actors/engine-pool.js";
import { EngineError, isAbortError } from "../../actors/engine-error.js";
import { tick, until } from "../helpers/wait.js";

/** A member whose jobs the test finishes by hand. */
class FakeMember {
  alive = true;
  stopped: string | null = null;
  readonly jobs: { name: string; finish(): void; fail(err: Error): void }[] = [];
  constructor(readonly id: number) {}
  work(name: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.jobs.push({ name, finish: () => resolve(`${name}@${this.id}`), fail: reject });
    });
  }
}

/** A pool of FakeMembers started by hand (`starts`) or at once (`instant`), on a clock the test sets. */
function fakePool(size: number, options: { instant?: boolean; idleMs?: number } = {}) {
  const clock = { ms: 0 };
  const members: FakeMember[] = [];
  const starts: { resolve(): void; reject(err: Error): void }[] = [];
  const make = () => {
    const m = new FakeMember(members.length);
    members.push(m);
    return m;
  };
  const pool = new EnginePool<FakeMember>({
    size,
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
    start: () =>
      options.instant
        ? make()
        : new Promise<FakeMember>((resolve, reject) => starts.push({ resolve: () => resolve(make()), reject })),
    stop: async (m, reason) => {
      m.stopped = reason;
      m.alive = false;
    },
    usable: (m) => m.alive,
    closedError: () => new EngineError("engine_error", "the fake engine is closed"),
    now: () => clock.ms,
  } satisfies EnginePoolOptions<FakeMember>);
  const jobOf = (name: string) => {
    for (const m of members) {
      const job = m.jobs.find((j) => j.name === name);
      if (job) return { member: m, job };
    }
    return null;
  };
  return { pool, clock, members, starts, jobOf };
}

const never = () => new AbortController().signal;

describe("EnginePool", () => {
  it("runs at most `size` jobs at once and serves the rest first come, first served, saying how long each waited", async () => {
    const { pool, clock, members, jobOf } = fakePool(2, { instant: true });
    const waits: Record<string, number> = {};
    const run = (name: string) => pool.run((m) => m.work(name), never(), (ms) => (waits[name] = ms));
    const a = run("a");
    const b = run("b");
    const c = run("c");
    const d = run("d");
    await tick();
    expect(members.length).toBe(2);
    expect(pool.stats).toMatchObject({ size: 2, members: 2, busy: 2, queued: 2, peakBusy: 2 });
    expect(Object.keys(waits)).toEqual(["a", "b"]);
    clock.ms = 40;
    jobOf("b")!.job.finish();
    expect(await b).toBe("b@1");
    await tick();
    // c was first in line, and takes the member b freed.
    expect(jobOf("c")!.member.id).toBe(1);
    expect(jobOf("d")).toBeNull();
    clock.ms = 65;
    jobOf("a")!.job.finish();
    jobOf("c")!.job.finish();
    await tick();
    jobOf("d")!.job.finish();
    expect(await Promise.all([a, c, d])).toEqual(["a@0", "c@1", "d@0"]);
    // Free members at once: 0. Queued: the time until a member was free.
    expect(waits).toEqual({ a: 0, b: 0, c: 40, d: 65 });
    expect(pool.stats).toMatchObject({ members: 2, busy: 0, queued: 0, peakBusy: 2, starts: 2, waits: 2 });
  });

  it("grows on demand: starts a member only when work waits, and gives the work to whichever member is free first", async () => {
    const { pool, members, starts, jobOf } = fakePool(3);
    await Promise.all([pool.warm(1), Promise.resolve().then(() => starts[0]!.resolve())]);
    expect(pool.stats).toMatchObject({ members: 1, starting: 0, starts: 1 });
    const a = pool.run((m) => m.work("a"), never());
    await tick();
    expect(pool.stats.starting).toBe(0);
    const b = pool.run((m) => m.work("b"), never());
    await tick();
    // b waits: a second member starts for it.
    expect(pool.stats).toMatchObject({ members: 1, starting: 1, queued: 1 });
    // ...but the first member is free before the second has loaded: b goes there.
    jobOf("a")!.job.finish();
    await a;
    await tick();
    expect(jobOf("b")!.member.id).toBe(0);
    starts[1]!.resolve();
    await tick();
    expect(pool.stats).toMatchObject({ members: 2, starting: 0, busy: 1 });
    jobOf("b")!.job.finish();
    await b;
    expect(members.length).toBe(2);
  });

  it("aborting a queued caller removes it from the line; its work never runs", async () => {
    const { pool, jobOf } = fakePool(1, { instant: true });
    const a = pool.run((m) => m.work("a"), never());
    const controller = new AbortController();
    const b = pool.run((m) => m.work("b"), controller.signal);
    const c = pool.run((m) => m.work("c"), never());
    await tick();
    expect(pool.stats.queued).toBe(2);
    controller.abort();
    const err = await b.catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(pool.stats.queued).toBe(1);
    jobOf("a")!.job.finish();
    await a;
    await tick();
    expect(jobOf("b")).toBeNull();
    jobOf("c")!.job.finish();
    expect(await c).toBe("c@0");
  });

  it("aborting running work rejects at once; the member stays busy until the work settles, then serves the next", async () => {
    const { pool, jobOf } = fakePool(1, { instant: true });
    const controller = new AbortController();
    const a = pool.run((m) => m.work("a"), controller.signal);
    const b = pool.run((m) => m.work("b"), never());
    await tick();
    controller.abort();
    expect(isAbortError(await a.catch((e: unknown) => e))).toBe(true);
    await tick();
    expect(pool.stats).toMatchObject({ busy: 1, queued: 1 });
    expect(jobOf("b")).toBeNull();
    jobOf("a")!.job.finish();
    await tick();
    jobOf("b")!.job.finish();
    expect(await b).toBe("b@0");
  });

  it("a member that died is dropped when its work fails, and a new one starts for whoever waits", async () => {
    const { pool, members, jobOf } = fakePool(1, { instant: true });
    const a = pool.run((m) => m.work("a"), never());
    const b = pool.run((m) => m.work("b"), never());
    await tick();
    const dead = members[0]!;
    dead.alive = false;
    jobOf("a")!.job.fail(new EngineError("engine_error", "worker exited (code 1)"));
    await expect(a).rejects.toThrow("worker exited (code 1)");
    await tick();
    expect(dead.stopped).toBe("unusable");
    expect(jobOf("b")!.member).toBe(members[1]);
    jobOf("b")!.job.finish();
    expect(await b).toBe("b@1");
    expect(pool.stats).toMatchObject({ members: 1, starts: 2 });
  });

  it("a start that fails fails the waiting work when no member can serve it; the next caller tries again", async () => {
    const { pool, starts, jobOf } = fakePool(2);
    const a = pool.run((m) => m.work("a"), never());
    const b = pool.run((m) => m.work("b"), never());
    await tick();
    expect(starts.length).toBe(2);
    starts[0]!.reject(new EngineError("engine_error", "failed to load: out of memory"));
    await tick();
    // The other start may still serve both.
    expect(pool.stats.queued).toBe(2);
    starts[1]!.reject(new EngineError("engine_error", "failed to load: out of memory"));
    await expect(a).rejects.toThrow("failed to load: out of memory");
    await expect(b).rejects.toThrow("failed to load: out of memory");
    const c = pool.run((m) => m.work("c"), never());
    await tick();
    starts[2]!.resolve();
    await tick();
    jobOf("c")!.job.finish();
    expect(await c).toBe("c@0");
  });

  it("warm() rejects with the start's error", async () => {
    const { pool, starts } = fakePool(2);
    const warming = pool.warm(2);
    expect(starts.length).toBe(2);
    starts[0]!.resolve();
    starts[1]!.reject(new EngineError("timeout", "did not load within 10 ms"));
    await expect(warming).rejects.toThrow("did not load within 10 ms");
    expect(pool.stats.members).toBe(1);
  });

  it("stops members other than the first after idleMs without work", async () => {
    const { pool, members, jobOf } = fakePool(3, { instant: true, idleMs: 20 });
    const jobs = ["a", "b", "c"].map((name) => pool.run((m) => m.work(name), never()));
    await tick();
    expect(pool.stats.members).toBe(3);
    for (const name of ["a", "b", "c"]) jobOf(name)!.job.finish();
    await Promise.all(jobs);
    await until(() => pool.stats.members === 1, "the idle members to stop");
    expect(members.map((m) => m.stopped)).toEqual([null, "idle", "idle"]);
    // Work again: the first member serves it, nothing starts.
    const d = pool.run((m) => m.work("d"), never());
    await tick();
    jobOf("d")!.job.finish();
    expect(await d).toBe("d@0");
    expect(pool.stats.starts).toBe(3);
  });

  it("close() fails queued work, stops every member and refuses new work", async () => {
    const { pool, members } = fakePool(1, { instant: true });
    const running = pool.run((m) => m.work("a"), never());
    const queued = pool.run((m) => m.work("b"), never());
    await tick();
    await pool.close();
    await expect(queued).rejects.toThrow("the fake engine is closed");
    expect(members.map((m) => m.stopped)).toEqual(["closed"]);
    await expect(pool.run((m) => m.work("c"), never())).rejects.toThrow("the fake engine is closed");
    await expect(pool.warm()).rejects.toThrow("the fake engine is closed");
    // The running job settles as its member says (here: it is never finished; the member was stopped).
    expect(pool.stats).toMatchObject({ members: 0, queued: 0 });
    void running.catch(() => {});
  });

  it("refuses a size that is not a whole number from 1 to 256", () => {
    const options = { start: () => 1, stop: async () => {}, closedError: () => new Error("closed") };
    for (const size of [0, 1.5, 257, Number.NaN]) {
      expect(() => new EnginePool({ ...options, size })).toThrow(new TypeError(`engine pool size must be a whole number from 1 to 256, got ${size}`));
    }
  });
});
