/**
 * The pino-backed logger: JSON lines with level, time, message and fields;
 * the level setting; readable lines for a terminal; and redaction - fields
 * named for speech, memory text or secrets, and configured secret values
 * wherever they occur - including through a real server running a turn.
 */
import { describe, expect, it } from "vitest";
import { createLogger, REDACTED } from "../../../server/app/logger.js";
import { formatLogLine } from "../../../server/app/log-format.js";
import { useServers } from "../../helpers/server.js";
import { TestClient } from "../../helpers/client.js";
import { startCoda } from "../client/fixture.js";

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) }, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("createLogger", () => {
  it("writes one JSON object per line: level label, ISO time, message, fields", () => {
    const out = capture();
    const log = createLogger({ level: "info", destination: out.destination, pretty: false });
    log.info("client connected", { client: "c1", clients: 2 });
    log.warn("closing slow client");
    expect(out.lines).toHaveLength(2);
    expect(out.lines.every((l) => l.endsWith("\n"))).toBe(true);
    const [a, b] = out.json();
    expect(a).toMatchObject({ level: "info", msg: "client connected", client: "c1", clients: 2, pid: process.pid });
    expect(a!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(b).toMatchObject({ level: "warn", msg: "closing slow client" });
  });

  it("writes only lines at or above the level", () => {
    const out = capture();
    const log = createLogger({ level: "warn", destination: out.destination, pretty: false });
    log.debug?.("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(out.json().map((l) => [l.level, l.msg])).toEqual([
      ["warn", "w"],
      ["error", "e"],
    ]);
    const silent = capture();
    const quiet = createLogger({ level: "silent", destination: silent.destination, pretty: false });
    quiet.error("e");
    expect(silent.lines).toEqual([]);
    const all = capture();
    createLogger({ level: "debug", destination: all.destination, pretty: false }).debug?.("d", { n: 1 });
    expect(all.json()).toMatchObject([{ level: "debug", msg: "d", n: 1 }]);
  });

  it("redacts fields named for speech, model text, memory text and secrets, whatever the call site passes", () => {
    const out = capture();
    const log = createLogger({ level: "debug", destination: out.destination, pretty: false });
    log.info("turn detail", { text: "my bank pin is 1234", query: "pin", preview: "User: my pin", delta: "Your", token: "abcdefghijklmnop1", apiKey: "sk-1", turn: "t3", chars: 18 });
    const [line] = out.json();
    expect(line).toEqual(expect.objectContaining({ text: REDACTED, query: REDACTED, preview: REDACTED, delta: REDACTED, token: REDACTED, apiKey: REDACTED, turn: "t3", chars: 18 }));
    expect(out.lines[0]).not.toMatch(/1234|pin|Your|abcdefghijklmnop1|sk-1/);
  });

  it("scrubs configured secrets out of any field value, e.g. an error message quoting a header", () => {
    const out = capture();
    const secret = "s3cr3t-token-value-123";
    const log = createLogger({ level: "info", destination: out.destination, pretty: false, secrets: [secret, undefined] });
    log.error("engine request failed", { error: `401 for Authorization: Bearer ${secret} (twice: ${secret})`, status: 401 });
    expect(out.lines[0]).not.toContain(secret);
    expect(out.json()[0]).toMatchObject({ error: `401 for Authorization: Bearer ${REDACTED} (twice: ${REDACTED})`, status: 401 });
  });

  it("writes readable lines when pretty (a terminal), with the same redaction", () => {
    const out = capture();
    const log = createLogger({ level: "info", destination: out.destination, pretty: true });
    log.warn("closing slow client", { client: "c3", buffered: 4200000, text: "hello there" });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}closing slow client client=c3 buffered=4200000 text=\[redacted\]\n$/);
  });
});

describe("formatLogLine", () => {
  it("quotes values with spaces, prints objects as JSON and passes non-JSON through", () => {
    expect(formatLogLine('{"level":"error","time":"2026-11-30T01:02:03.456Z","msg":"stop failed","error":"boom: it broke","n":null,"o":{"a":1}}\n')).toBe(
      '01:02:03.456 ERROR stop failed error="boom: it broke" n=null o={"a":1}\n',
    );
    expect(formatLogLine("not json\n")).toBe("not json\n");
  });
});

describe("through a running server", () => {
  const { track, connect } = useServers();

  it("logs connections, refusals and a whole turn at debug level without the user's words, the answer or the token", async () => {
    const out = capture();
    const TOKEN = "tok-0123456789abcdef";
    const logger = createLogger({ level: "debug", destination: out.destination, pretty: false, secrets: [TOKEN] });
    const coda = track(await startCoda({ logger, token: TOKEN, stt: { utterances: ["my secret word is pineapple"] } }));
    await expect(TestClient.connect(coda.wsUrl, { headers: { authorization: `Bearer ${TOKEN}x` } })).rejects.toMatchObject({ status: 401 });
    const c = await connect(coda.wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    c.send({ type: "demo_flow", data: { text: "my secret word is pineapple" } });
    await c.waitFor((m) => m.type === "latency_trace");
    await c.close();
    await expect.poll(() => out.json().some((l) => l.msg === "client disconnected")).toBe(true);
    const msgs = out.json().map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(["listening", "upgrade refused", "client connected", "client disconnected"]));
    const all = out.lines.join("");
    expect(all).not.toMatch(/pineapple|secret word/);
    expect(all).not.toContain(TOKEN);
  });
});
