/**
 * Command forwarding between two nodes (each with its own connections): a
 * client's command on a node that does not run the session reaches the
 * owner with the origin node, client and user; the frames for that client
 * come back to the origin in order; refusals keep their codes; a session
 * nobody runs is `unavailable` at once, an owner that does not answer is
 * `unavailable` at the deadline (on a clock the test moves); both sides are
 * bounded (`busy`).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { CommandForwarder, CommandInbox, nodeKeys, sessionKeys, type ForwardedCommand, type ForwardedCommandHandler } from "../../../server/cluster/index.js";
import { encodeEvent, makeEvent, ProtocolError } from "../../../server/protocol/index.js";
import { ManualClock } from "../../helpers/clock.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { streamEntries, useRedis, useRedisClients } from "../../helpers/redis.js";
import { until } from "../../helpers/wait.js";

const redis = useRedis();
const { node } = useRedisClients(redis);
const cleanup = useCleanup();
beforeEach(async () => {
  if (!redis().running) await redis().start();
  await redis().flush();
});

const command = (id: string, type = "get_system_info") => JSON.stringify({ type, data: {}, id, timestamp: "2026-01-01T00:00:00.000Z" });
const ack = (id: string, type = "get_system_info") => encodeEvent(makeEvent("command_ack", { id, command: type }));

/** Node "owner" runs s1 (holds its lease) and serves its commands with `handler`; node "origin" forwards. */
async function twoNodes(handler: ForwardedCommandHandler | null, options: { deadlineMs?: number; maxInFlight?: number; maxQueued?: number; clock?: ManualClock } = {}) {
  const owner = await node("owner");
  const origin = await node("origin");
  await owner.client.set(sessionKeys("s1").owner, "owner");
  if (handler) {
    const inbox = new CommandInbox({ client: owner.client, mux: owner.mux, ...(options.maxQueued ? { maxQueued: options.maxQueued } : {}) });
    await inbox.serve("s1", handler);
  }
  const forwarder = new CommandForwarder({ client: origin.client, mux: origin.mux, node: "origin", ...options });
  cleanup.push(() => forwarder.close());
  await forwarder.start();
  return { owner, origin, forwarder };
}

describe("a command sent through another node", () => {
  it("reaches the owner with the origin node, client and user, and its frames come back to that client", async () => {
    const seen: ForwardedCommand[] = [];
    const answer = encodeEvent(makeEvent("system_info", { version: "x" } as never));
    const acked = ack("q1");
    const { forwarder } = await twoNodes((cmd) => {
      seen.push(cmd);
      return [answer, acked];
    });
    const frames = await forwarder.forward({ session: "s1", client: "c7", user: "ana", command: command("q1") });
    expect(seen).toEqual([{ session: "s1", origin: "origin", client: "c7", user: "ana", command: command("q1") }]);
    expect(frames.map((f, i) => f.equals([answer, acked][i]!))).toEqual([true, true]);
    expect(forwarder.inFlight).toBe(0);
  });

  it("answers one client's commands in the order they were sent, each with its own frames", async () => {
    const ran: string[] = [];
    const { forwarder } = await twoNodes(async (cmd) => {
      const id = (JSON.parse(cmd.command) as { id: string }).id;
      ran.push(id);
      // Later commands finish sooner: order must come from the owner running them one at a time.
      await new Promise((r) => setTimeout(r, 20 - ran.length));
      return [ack(id)];
    });
    const ids = Array.from({ length: 15 }, (_, i) => `q${i}`);
    const resolved: string[] = [];
    const replies = await Promise.all(ids.map((id) => forwarder.forward({ session: "s1", client: "c1", user: "default", command: command(id) }).then((frames) => (resolved.push(id), frames))));
    expect(ran).toEqual(ids);
    expect(resolved).toEqual(ids);
    expect(replies.map((frames) => frames.map((f) => (JSON.parse(String(f)) as { data: { id: string } }).data.id))).toEqual(ids.map((id) => [id]));
  });

  it("answers a refusal with the protocol's command_error, keeping its code, and an unexpected failure as internal_error", async () => {
    const { forwarder } = await twoNodes((cmd) => {
      if (cmd.command.includes("stt_stop")) throw new ProtocolError("invalid_state", "Not listening");
      throw new Error("a bug on the owner");
    });
    const refused = await forwarder.forward({ session: "s1", client: "c1", user: "default", command: command("q1", "stt_stop") });
    expect(JSON.parse(String(refused[0]))).toMatchObject({ type: "command_error", data: { id: "q1", command: "stt_stop", code: "invalid_state", message: "Not listening" } });
    const failed = await forwarder.forward({ session: "s1", client: "c1", user: "default", command: "not json" });
    expect(JSON.parse(String(failed[0]))).toMatchObject({ type: "command_error", data: { id: null, command: null, code: "internal_error" } });
  });
});

describe("when the owner cannot answer", () => {
  it("refuses at once a command for a session nobody runs", async () => {
    const { forwarder, origin } = await twoNodes(null);
    await expect(forwarder.forward({ session: "s2", client: "c1", user: "default", command: command("q1") })).rejects.toMatchObject({ name: "ProtocolError", code: "unavailable", message: "No node runs session s2 right now; try again shortly" });
    expect(await origin.client.exists(sessionKeys("s2").cmd)).toBe(0);
  });

  it("refuses with `unavailable` at the deadline a command whose owner does not answer, and drops a reply that comes later", async () => {
    const clock = new ManualClock();
    const { forwarder, origin } = await twoNodes(null, { clock, deadlineMs: 4000 });
    let outcome: unknown = "pending";
    const forwarded = forwarder.forward({ session: "s1", client: "c1", user: "default", command: command("q1") }).then(
      () => (outcome = "answered"),
      (err: unknown) => (outcome = err),
    );
    await until(async () => (await origin.client.xLen(sessionKeys("s1").cmd)) === 1, "the command on the session's stream");
    clock.advance(3999);
    expect(outcome).toBe("pending");
    clock.advance(1);
    await forwarded;
    expect(outcome).toMatchObject({ name: "ProtocolError", code: "unavailable", message: "The node running session s1 did not answer within 4000 ms" });
    // The owner answers after all: nobody is waiting for it any more.
    const [entry] = await streamEntries(origin.client, sessionKeys("s1").cmd);
    await origin.client.xAdd(nodeKeys("origin").replies, "*", { i: entry!.message.i!, c: "c1", n: "1", f0: String(ack("q1")) });
    await until(async () => (await origin.client.xLen(nodeKeys("origin").replies)) === 1, "the late reply");
    expect(forwarder.inFlight).toBe(0);
  });

  it("refuses with `unavailable` when Redis cannot be reached, and commands waiting when the node stops", async () => {
    const clock = new ManualClock();
    const { forwarder } = await twoNodes(null, { clock });
    const waiting = forwarder.forward({ session: "s1", client: "c1", user: "default", command: command("q1") });
    forwarder.close();
    await expect(waiting).rejects.toMatchObject({ code: "unavailable", message: "This node is stopping" });

    const other = await twoNodes(null, { clock });
    await redis().stop();
    await expect(other.forwarder.forward({ session: "s1", client: "c1", user: "default", command: command("q2") })).rejects.toMatchObject({ code: "unavailable", message: "The cluster's Redis cannot be reached; try again shortly" });
  });
});

describe("bounds", () => {
  it("refuses with `busy` a command past the most that may wait for other nodes", async () => {
    const clock = new ManualClock();
    const { forwarder } = await twoNodes(null, { clock, maxInFlight: 2 });
    const held = [1, 2].map((i) => forwarder.forward({ session: "s1", client: "c1", user: "default", command: command(`q${i}`) }).catch(() => {}));
    await expect(forwarder.forward({ session: "s1", client: "c1", user: "default", command: command("q3") })).rejects.toMatchObject({ code: "busy", message: "Too many commands are waiting for other nodes (2); try again shortly" });
    forwarder.close();
    await Promise.all(held);
  });

  it("answers `busy` at once the commands past the most one session may queue on its owner", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { forwarder } = await twoNodes(
      async (cmd) => {
        await gate;
        return [ack((JSON.parse(cmd.command) as { id: string }).id)];
      },
      { maxQueued: 1 },
    );
    const first = forwarder.forward({ session: "s1", client: "c1", user: "default", command: command("q1") });
    const second = await forwarder.forward({ session: "s1", client: "c1", user: "default", command: command("q2") });
    expect(JSON.parse(String(second[0]))).toMatchObject({ type: "command_error", data: { id: "q2", command: "get_system_info", code: "busy", message: "Too many commands are waiting for session s1; try again shortly" } });
    release();
    expect((await first).map((f) => JSON.parse(String(f)) as unknown)).toMatchObject([{ type: "command_ack", data: { id: "q1" } }]);
  });
});
