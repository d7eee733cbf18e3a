/**
 * Reconnect and resume against the real server through a TCP proxy that can
 * cut the connection while the server keeps running: the client reconnects
 * with `?since=<last seq>`, gets exactly what it missed (marked replayed),
 * never a duplicate, and reports a gap when the server's buffer no longer
 * reaches back far enough.
 */
import { describe, expect, it } from "vitest";
import type { CodaClient } from "../../../server/client/index.js";
import { startCoda, type CodaFixture } from "./fixture.js";
import { useServers } from "../../helpers/server.js";
import { newClient, next, record } from "./helpers.js";
import { until } from "../../helpers/wait.js";
import { startProxy, type TcpProxy } from "./proxy.js";

let fixture: CodaFixture | undefined;
let proxy: TcpProxy | undefined;
let client: CodaClient | undefined;
const { track, trackClient } = useServers();

const info = (i: number) => ({ type: "system_info" as const, data: { version: `v${i}`, uptime: i, memory: 1 } });

describe("CodaClient resume", () => {
  it("delivers the recent buffer on the first connection, marked replayed", async () => {
    fixture = track(await startCoda());
    for (let i = 1; i <= 3; i++) await fixture.server.broadcast(info(i));
    client = trackClient(newClient(fixture.wsUrl));
    const rec = record(client);
    await client.connect();
    expect(rec.seqs()).toEqual([1, 2, 3]);
    expect(rec.events.filter((e) => e.event.seq !== undefined).every((e) => e.replayed)).toBe(true);
    expect(rec.notes).toEqual(["state:connecting", "state:open", "resume:3"]);
  });

  it("reconnects after a drop and resumes after the last seq, without gaps or duplicates", async () => {
    fixture = track(await startCoda());
    proxy = track(await startProxy(fixture.server.port));
    client = trackClient(newClient(proxy.url));
    const rec = record(client);
    await client.connect();
    await client.demoFlow("what is 2 plus 3");
    await next(client, "latency_trace");
    const before = client.lastSeq;
    expect(before).toBeGreaterThan(10);

    proxy.refuse(true);
    proxy.drop();
    await until(() => client!.state === "reconnecting", "reconnecting");
    // Events logged while the client is away.
    for (let i = 1; i <= 4; i++) await fixture.server.broadcast(info(i));
    proxy.refuse(false);
    await client.ready();

    expect(client.connections).toBe(2);
    const seqs = rec.seqs();
    expect(seqs).toEqual(Array.from({ length: before + 4 }, (_, i) => i + 1));
    const resumed = rec.events.filter((e) => e.event.seq !== undefined && e.event.seq > before);
    expect(resumed.map((e) => [e.event.type, e.replayed])).toEqual([
      ["system_info", true],
      ["system_info", true],
      ["system_info", true],
      ["system_info", true],
    ]);
    expect(rec.notes.filter((n) => n.startsWith("resume") || n.startsWith("gap") || n === "reset")).toEqual(["resume:0", "resume:4"]);

    // Live again: the next turn arrives once, not replayed.
    await client.textInput("what is 6 times 7");
    await until(() => rec.events.filter((e) => e.event.type === "latency_trace").length === 2, "second latency_trace");
    const results = rec.events.filter((e) => e.event.type === "llm_result").map((e) => [(e.event.data as { text: string }).text, e.replayed]);
    expect(results).toEqual([
      ["2 + 3 is 5.", false],
      ["6 * 7 is 42.", false],
    ]);
    expect(new Set(rec.seqs()).size).toBe(rec.seqs().length);
    expect(rec.seqs()).toEqual(Array.from({ length: client.lastSeq }, (_, i) => i + 1));
  });

  it("reports a gap with the exact number of events the server no longer holds", async () => {
    fixture = track(await startCoda({ replaySize: 5 }));
    proxy = track(await startProxy(fixture.server.port));
    await fixture.server.broadcast(info(1));
    client = trackClient(newClient(proxy.url));
    const rec = record(client);
    const gaps: unknown[] = [];
    client.on("gap", (g) => gaps.push(g));
    await client.connect();
    expect(client.lastSeq).toBe(1);

    proxy.refuse(true);
    proxy.drop();
    await until(() => client!.state === "reconnecting", "reconnecting");
    // seq 2..12: progress of a turn that then ends (13), so the conversation folds it away too; the log keeps 9..13.
    for (let i = 0; i < 11; i++) await fixture.server.broadcast({ type: "llm_progress", data: { turn_id: "x1", delta: `d${i}`, index: i } });
    await fixture.server.broadcast({ type: "turn_interrupted", data: { turn_id: "x1", reason: "stop", state: "speaking", by: null, heard_ms: 0, heard_text: "" } });
    proxy.refuse(false);
    await client.ready();

    expect(gaps).toEqual([{ since: 1, missed: 7, firstSeq: 9 }]);
    expect(rec.seqs()).toEqual([1, 9, 10, 11, 12, 13]);
    expect(client.lastSeq).toBe(13);
  });

  it("resumes from a seq saved by an earlier session (the since option)", async () => {
    fixture = track(await startCoda());
    for (let i = 1; i <= 6; i++) await fixture.server.broadcast(info(i));
    client = trackClient(newClient(fixture.wsUrl, { since: 4 }));
    const rec = record(client);
    await client.connect();
    expect(rec.seqs()).toEqual([5, 6]);
  });
});
