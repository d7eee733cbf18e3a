/**
 * Reconnect delays: the backoff arithmetic, and a client that keeps trying
 * while the server is down, with growing delays, until it is back.
 */
import { describe, expect, it } from "vitest";
import { backoffDelay, resolveBackoff, type CodaClient, type StateInfo } from "../../../server/client/index.js";
import { startCoda } from "./fixture.js";
import { useServers } from "../../helpers/server.js";
import { newClient } from "./helpers.js";
import { until } from "../../helpers/wait.js";

describe("backoffDelay", () => {
  it("doubles from initialMs up to maxMs, jittered within [nominal/2, nominal)", () => {
    const low = resolveBackoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(low, a))).toEqual([50, 100, 200, 400, 500, 500]);
    const high = resolveBackoff({ initialMs: 100, maxMs: 1000, random: () => 0.999 });
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(high, a))).toEqual([100, 200, 400, 800, 1000]);
  });

  it("refuses invalid settings with a TypeError naming the field", () => {
    expect(() => resolveBackoff({ initialMs: -1 })).toThrow(new TypeError("backoff.initialMs must be a finite number >= 0"));
    expect(() => resolveBackoff({ factor: 0.5 })).toThrow(new TypeError("backoff.factor must be a finite number >= 1"));
  });
});

describe("CodaClient reconnecting", () => {
  let client: CodaClient | undefined;
  const { track, trackClient } = useServers();

  it("retries with growing delays while the server is down and resets the count once back", async () => {
    const first = await startCoda();
    const port = first.server.port;
    client = trackClient(newClient(first.wsUrl, { backoff: { initialMs: 20, maxMs: 80, random: () => 0 } }));
    const states: [string, StateInfo][] = [];
    client.on("state", (s, i) => states.push([s, i]));
    await client.connect();
    await first.close();
    await until(() => states.filter(([s]) => s === "reconnecting").length >= 4, "four attempts");
    track(await startCoda({ port }));
    await until(() => client!.state === "open", "reopen");

    const retries = states.filter(([s]) => s === "reconnecting").map(([, i]) => [i.attempt, i.delayMs]);
    expect(retries.slice(0, 4)).toEqual([
      [1, 10],
      [2, 20],
      [3, 40],
      [4, 40],
    ]);
    expect(states[0]).toEqual(["connecting", { attempt: 0 }]);
    expect(states[2]![1].code).toBe(1001); // the server said it was going away
    expect(states.at(-1)).toEqual(["open", { attempt: 0 }]);
    expect(client.connections).toBe(2);
  });
});
