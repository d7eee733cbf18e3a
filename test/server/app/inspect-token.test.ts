/**
 * `--inspect --token <t>`: the inspector relay holds the conversation (the
 * user's words are in its frames), so it takes the server's token and the
 * server's Origin and Host rules. A viewer without the token is refused
 * with 401 and gets nothing, live or kept; with it (a Bearer header, or the
 * `coda-token.<t>` subprotocol next to `coda.v1` as the page sends it) it
 * gets the frames. The start-up line that prints the page's address says the
 * page needs the internet (it frames Stately's hosted inspector) and how to
 * give it the token.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createCodaServer, type CodaServer } from "../../../server/app/app.js";
import { loadConfig } from "../../../server/app/config.js";
import { silentLogger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { until } from "../../helpers/wait.js";
import { hasChromium, SKIP_REASON, useBrowser } from "../dashboard/browser.js";

const cleanup = useCleanup();
const browser = useBrowser();
const TOKEN = "relay-token-7c1e5a9b3d";
const SECRET_WORDS = "my secret plans for tuesday";

async function app(argv: string[]): Promise<CodaServer> {
  const { config } = loadConfig(
    ["--host", "127.0.0.1", "--port", "0", "--memory-db", "off", "--stt-engine", "none", "--llm-engine", "builtin", "--tts-engine", "none", "--vad", "off", "--inspect", ...argv],
    {},
  );
  const a = await createCodaServer({ ...config, logger: silentLogger });
  cleanup.push(() => a.stop());
  return a;
}

/** A viewer of the relay that records what it gets; `refused` is the HTTP status when the upgrade is refused. */
function viewer(url: string, options: { headers?: Record<string, string>; protocols?: string[]; origin?: string } = {}) {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers, ...(options.origin ? { origin: options.origin } : {}) });
  ws.on("error", () => {}); // a refused upgrade also reports an error event
  cleanup.push(() => ws.terminate());
  const frames: string[] = [];
  ws.on("message", (d) => frames.push(d.toString()));
  const outcome = new Promise<{ open: true; protocol: string } | { open: false; status: number }>((resolve) => {
    ws.once("open", () => resolve({ open: true, protocol: ws.protocol }));
    ws.once("unexpected-response", (_req, res) => resolve({ open: false, status: res.statusCode ?? 0 }));
  });
  return { ws, frames, outcome };
}

async function typedTurn(a: CodaServer, text: string): Promise<void> {
  const c = await TestClient.connect(`ws://127.0.0.1:${a.server.port}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  cleanup.push(() => c.close());
  await c.waitForType("replay");
  const from = c.messages.length;
  c.send({ type: "text_input", data: { text } });
  await c.waitFor((m) => m.type === "latency_trace", { from, timeoutMs: 20_000 });
}

describe("inspector relay with a token", () => {
  it("refuses a viewer without the token (401), live and late, and serves one that has it", async () => {
    const a = await app(["--token", TOKEN]);
    const page = a.inspectorUrl!;
    const wsUrl = page.replace(/^http/, "ws");
    const origin = page.replace(/\/$/, "");

    const anonymous = viewer(wsUrl);
    const wrong = viewer(wsUrl, { headers: { authorization: "Bearer not-the-token-at-all" } });
    const bearer = viewer(wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    // What the page does in a browser: its own origin, the token as a subprotocol next to coda.v1.
    const browser = viewer(wsUrl, { origin, protocols: ["coda.v1", `coda-token.${TOKEN}`] });
    expect(await anonymous.outcome).toEqual({ open: false, status: 401 });
    expect(await wrong.outcome).toEqual({ open: false, status: 401 });
    expect(await bearer.outcome).toEqual({ open: true, protocol: "" });
    expect(await browser.outcome).toEqual({ open: true, protocol: "coda.v1" });

    await typedTurn(a, SECRET_WORDS);
    await until(() => bearer.frames.some((f) => f.includes(SECRET_WORDS)), "the turn's frames to reach the viewer with the token");
    await until(() => browser.frames.some((f) => f.includes(SECRET_WORDS)), "the turn's frames to reach the page");

    // Late viewers: without the token nothing of what was kept; with it, the kept frames.
    const lateAnonymous = viewer(wsUrl);
    expect(await lateAnonymous.outcome).toEqual({ open: false, status: 401 });
    const late = viewer(wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await late.outcome).open).toBe(true);
    await until(() => late.frames.some((f) => f.includes(SECRET_WORDS)), "the kept frames to reach the late viewer");
    for (const refused of [anonymous, wrong, lateAnonymous]) expect(refused.frames).toEqual([]);
  }, 60_000);

  it("applies the server's Origin and Host rules: a foreign page 403, an allowed origin and host accepted", async () => {
    const a = await app(["--token", TOKEN, "--allowed-origin", "http://dev.example:5173", "--allowed-host", "coda.lan"]);
    const wsUrl = a.inspectorUrl!.replace(/^http/, "ws");
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect(await viewer(wsUrl, { headers: auth, origin: "https://evil.example" }).outcome).toEqual({ open: false, status: 403 });
    expect((await viewer(wsUrl, { headers: auth, origin: "http://dev.example:5173" }).outcome).open).toBe(true);
    const port = new URL(a.inspectorUrl!).port;
    expect((await viewer(wsUrl, { headers: { ...auth, host: `coda.lan:${port}` } }).outcome).open).toBe(true);
    expect(await viewer(wsUrl, { headers: { ...auth, host: `attacker.example:${port}` } }).outcome).toEqual({ open: false, status: 403 });
  });

  it("serves the page itself without the token (it is code, not data), and the page sends the token from its #token= fragment", async () => {
    const a = await app(["--token", TOKEN]);
    const res = await fetch(a.inspectorUrl!);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain(TOKEN);
    expect(html).toContain('location.hash');
    expect(html).toContain('"coda-token."');
  });
});

describe("the relay page in a browser", () => {
  it.skipIf(!hasChromium)(`connects with the token from #token= and gets the frames; without it, says how to give it ${hasChromium ? "" : SKIP_REASON}`, async () => {
    const a = await app(["--token", TOKEN]);
    // Stately's hosted inspector cannot load here (no internet): the page keeps the frames for it, which is what is checked.
    const withToken = await browser()!.page();
    cleanup.push(() => withToken.close());
    await withToken.goto(`${a.inspectorUrl}#token=${TOKEN}`);
    await typedTurn(a, SECRET_WORDS);
    await until(async () => (await withToken.evaluate<string>("JSON.stringify(buffer)")).includes(SECRET_WORDS), "the page to receive the turn's frames", 20_000);

    const without = await browser()!.page();
    cleanup.push(() => without.close());
    await without.goto(a.inspectorUrl!);
    await until(async () => (await without.evaluate<string>("document.body.innerText")).includes("#token=<token>"), "the page to say how to give the token");
    expect(await without.evaluate("buffer.length")).toBe(0);
  }, 60_000);
});

describe("the start-up line of --inspect", () => {
  it("prints the page's address and says the page needs the internet (Stately's hosted inspector)", async () => {
    const a = await app([]);
    const line = a.descriptions.find((d) => d.startsWith("Inspector:"))!;
    expect(line).toBe(
      `Inspector: open ${a.inspectorUrl} in a browser on this machine to watch the voice machine; the page frames Stately's hosted inspector (https://stately.ai/inspect), so it needs the internet and stays blank without it (docs/inspect.md)`,
    );
  });

  it("with a token, says how to give it to the page without printing it", async () => {
    const a = await app(["--token", TOKEN]);
    const line = a.descriptions.find((d) => d.startsWith("Inspector:"))!;
    expect(line).toContain(`open ${a.inspectorUrl}#token=<token> in a browser on this machine`);
    expect(line).toContain("needs the internet");
    expect(a.descriptions.join("\n")).not.toContain(TOKEN);
  });
});
