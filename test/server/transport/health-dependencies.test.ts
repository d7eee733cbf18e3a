/**
 * The node's dependencies (server/transport/health.ts) through a real
 * server: `/health` names each one with its engine and answers 503 with
 * `status: "degraded"` while one is unavailable (and why, since when);
 * `coda_dependency_up` follows it; a dependency required for turns refuses
 * the commands that start one with `unavailable` while it is down, and only
 * those; one that is not required refuses nothing. Each check is a flag the
 * test flips.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { DependencyCheck, DependencyHealth, WebSocketServerOptions } from "../../../server/index.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { startPipeline } from "../../helpers/pipeline.js";

const cleanups = useCleanup();

const DOWN: DependencyHealth = { ok: false, code: "unavailable", reason: "The store cannot be reached (connect ECONNREFUSED)", since: "2026-12-04T12:00:00.000Z" };

/** A dependency whose state the test sets. */
function flag(name: string, engine: string, requiredForTurns: boolean) {
  let state: DependencyHealth = { ok: true };
  const check: DependencyCheck = { name, engine, requiredForTurns, read: () => state };
  return { check, set: (s: DependencyHealth) => void (state = s) };
}

async function setup(checks: DependencyCheck[]) {
  const { server, connect } = await startPipeline(cleanups, { server: { dependencies: checks } });
  const base = `http://127.0.0.1:${server.port}`;
  const health = async () => {
    const res = await fetch(`${base}/health`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const gauge = async () => (await (await fetch(`${base}/metrics`)).text()).split("\n").filter((l) => l.startsWith("coda_dependency_up"));
  return { health, gauge, client: await connect() };
}

describe("dependencies on /health, /metrics and new turns", () => {
  it("a required dependency down: 503 degraded naming it, the gauge at 0, new turns refused; back: all as before", async () => {
    const memory = flag("memory", "postgres", true);
    const { health, gauge, client } = await setup([memory.check]);
    expect(await health()).toMatchObject({ status: 200, body: { status: "ok", memory: { engine: "postgres", status: "ok" } } });
    expect(await gauge()).toEqual(['coda_dependency_up{dependency="memory",engine="postgres"} 1']);

    memory.set(DOWN);
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: "degraded", state: "idle" });
    expect(down.body.memory).toEqual({ engine: "postgres", status: "unavailable", code: "unavailable", reason: DOWN.reason, since: DOWN.since });
    expect(await gauge()).toEqual(['coda_dependency_up{dependency="memory",engine="postgres"} 0']);

    const message = "Memory is unavailable (unavailable): The store cannot be reached (connect ECONNREFUSED). New turns are refused until it is back (GET /health shows it); nothing kept before is lost";
    for (const [type, data] of [["text_input", { text: "hello" }], ["demo_flow", {}], ["stt_start", { mode: "push_to_talk" }]] as const) {
      const reply = await client.command(type, data);
      expect(reply, type).toMatchObject({ type: "command_error", data: { code: "unavailable", message, command: type } });
    }
    // Everything else is served: a command that starts no turn, and the state, still idle.
    expect((await client.command("stt_stop", {})).data).toMatchObject({ code: "invalid_state" });
    expect((await client.command("get_system_info")).type).toBe("command_ack");
    expect(client.ofType("stt_start")).toEqual([]);

    memory.set({ ok: true });
    expect(await health()).toMatchObject({ status: 200, body: { status: "ok", memory: { engine: "postgres", status: "ok" } } });
    const from = client.messages.length;
    expect((await client.command("text_input", { text: "hello" })).type).toBe("command_ack");
    expect((await client.waitForType("llm_result", { from })).data.text).toBe("Okay.");
  });

  it("a dependency the turns can do without: /health degraded, turns still run", async () => {
    const memory = flag("memory", "sqlite", false);
    const other = flag("redis", "redis", true);
    const { health, gauge, client } = await setup([memory.check, other.check]);
    memory.set(DOWN);
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: "degraded", memory: { engine: "sqlite", status: "unavailable" }, redis: { engine: "redis", status: "ok" } });
    expect(await gauge()).toEqual(['coda_dependency_up{dependency="memory",engine="sqlite"} 0', 'coda_dependency_up{dependency="redis",engine="redis"} 1']);
    expect((await client.command("text_input", { text: "hello" })).type).toBe("command_ack");
  });

  it("the option and its types are public", () => {
    expectTypeOf<WebSocketServerOptions["dependencies"]>().toEqualTypeOf<readonly DependencyCheck[] | undefined>();
    expectTypeOf<DependencyCheck["read"]>().returns.toEqualTypeOf<DependencyHealth>();
  });

  it("without dependencies /health is as before (with the session count)", async () => {
    const { health, gauge } = await setup([]);
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["clients", "last_seq", "protocol_version", "sessions", "state", "status", "version"]);
    expect(await gauge()).toEqual([]);
  });
});
