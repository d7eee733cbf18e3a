/**
 * A server restart on the same port: the client sees a new epoch, reports a
 * reset, and starts seq over with the new run - whether the new run's log is
 * still behind the client's last seq (the server itself flags `reset`) or
 * already past it (only the epoch tells; the client asks for the whole new
 * run instead of trusting a replay of the wrong events).
 */
import { describe, expect, it } from "vitest";
import type { CodaClient, ResetInfo } from "../../../server/client/index.js";
import { startCoda, type CodaFixture } from "./fixture.js";
import { useServers } from "../../helpers/server.js";
import { newClient, record } from "./helpers.js";
import { until } from "../../helpers/wait.js";

let client: CodaClient | undefined;
const { track, trackClient } = useServers();

const info = (i: number) => ({ type: "system_info" as const, data: { version: `v${i}`, uptime: i, memory: 1 } });

async function restart(old: CodaFixture): Promise<CodaFixture> {
  const port = old.server.port;
  await old.close();
  const next = await startCoda({ port });
  track(next);
  return next;
}

describe("CodaClient after a server restart", () => {
  it("reports a reset and delivers the new run's events when the new log is behind", async () => {
    const first = await startCoda();
    track(first);
    for (let i = 1; i <= 5; i++) await first.server.broadcast(info(i));
    client = trackClient(newClient(first.wsUrl));
    const rec = record(client);
    const resets: ResetInfo[] = [];
    client.on("reset", (r) => resets.push(r));
    await client.connect();
    const epoch1 = client.epoch;

    const second = await restart(first);
    await second.server.broadcast(info(100));
    await until(() => resets.length === 1 && client!.state === "open", "reset and reopen");
    expect(resets).toEqual([{ previousEpoch: epoch1, epoch: second.server.epoch, previousSeq: 5, missed: 0 }]);
    expect(client.epoch).not.toBe(epoch1);
    expect(rec.seqs()).toEqual([1, 2, 3, 4, 5, 1]);
    expect(rec.events.filter((e) => e.event.type === "system_info").map((e) => (e.event.data as { version: string }).version)).toEqual([
      "v1",
      "v2",
      "v3",
      "v4",
      "v5",
      "v100",
    ]);
    expect(client.lastSeq).toBe(1);
  });

  it("detects the restart by epoch when the new log already passed the client's seq", async () => {
    const first = await startCoda();
    track(first);
    await first.server.broadcast(info(1));
    await first.server.broadcast(info(2));
    client = trackClient(newClient(first.wsUrl, { backoff: { initialMs: 300, maxMs: 300 } }));
    const rec = record(client);
    const resets: ResetInfo[] = [];
    client.on("reset", (r) => resets.push(r));
    await client.connect();
    const epoch1 = client.epoch;

    const port = first.server.port;
    await first.close();
    await until(() => client!.state === "reconnecting", "reconnecting");
    const second = await startCoda({ port });
    track(second);
    // The new run logs more than the client had seen before the client is back.
    for (let i = 10; i <= 14; i++) await second.server.broadcast(info(i));
    await until(() => resets.length === 1 && client!.state === "open", "reset and reopen");

    expect(resets).toEqual([{ previousEpoch: epoch1, epoch: second.server.epoch, previousSeq: 2, missed: 0 }]);
    expect(rec.seqs()).toEqual([1, 2, 1, 2, 3, 4, 5]);
    const versions = rec.events.filter((e) => e.event.type === "system_info").map((e) => (e.event.data as { version: string }).version);
    expect(versions).toEqual(["v1", "v2", "v10", "v11", "v12", "v13", "v14"]);

    // Live events of the new run follow, once each.
    await second.server.broadcast(info(15));
    await until(() => client!.lastSeq === 6, "seq 6");
    expect(rec.seqs()).toEqual([1, 2, 1, 2, 3, 4, 5, 6]);
  });
});
