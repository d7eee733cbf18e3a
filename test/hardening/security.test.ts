/**
 * Security checks of issue 7 not covered by test/server/transport/handshake.test.ts:
 * the HTTP routes obey the Origin and token rules (the page itself stays
 * loadable by a browser), `__proto__` / `constructor` keys pollute nothing,
 * deeply nested and oversized JSON is refused with the documented code while
 * other clients keep being served, and the token never reaches the log.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { Logger, LogFields } from "../../server/app/logger.js";
import { TestClient } from "../helpers/client.js";
import { startServer } from "../helpers/server.js";

const TOKEN = "hardening-token-7f3a9c2e5b";

const opened: TestClient[] = [];
const stopped: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  await Promise.all(stopped.splice(0).map((s) => s.stop()));
});
async function server(options: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(options);
  stopped.push(s);
  return s;
}
async function connect(url: string, options?: Parameters<typeof TestClient.connect>[1]) {
  const c = await TestClient.connect(url, options);
  opened.push(c);
  await c.waitForType("replay");
  return c;
}

/** One plain HTTP GET with exact headers (fetch would add its own Origin rules). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HTTP routes obey the upgrade's rules", () => {
  it("with a token, /health and /schema need it (Bearer); the page / loads without it and holds no secret", async () => {
    const s = await server({ token: TOKEN });
    for (const path of ["/health", "/schema", "/protocol.schema.json", "/nope"]) {
      expect(await get(s.port, path)).toEqual({ status: 401, body: JSON.stringify({ error: "Missing or wrong token" }) });
      expect((await get(s.port, path, { authorization: "Bearer wrong-token-0000000000" })).status).toBe(401);
    }
    const health = await get(s.port, "/health", { authorization: `Bearer ${TOKEN}` });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok", clients: 0 });
    expect((await get(s.port, "/schema", { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await get(s.port, "/nope", { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    // A browser navigating to the dashboard page cannot send headers: the page is served, without the token.
    const page = await get(s.port, "/");
    expect(page.status).toBe(200);
    expect(page.body).toContain(`ws://127.0.0.1:${s.port}`);
    expect(page.body).not.toContain(TOKEN);
  });

  it("without a token, every route is open to loopback clients", async () => {
    const s = await server();
    expect((await get(s.port, "/health")).status).toBe(200);
    expect((await get(s.port, "/schema")).status).toBe(200);
    expect((await get(s.port, "/")).status).toBe(200);
  });

  it("a foreign Origin is refused with 403 on every route; the server's own and configured origins pass", async () => {
    const s = await server({ allowedOrigins: ["http://dev.example:5173"] });
    for (const path of ["/", "/health", "/schema"]) {
      const refused = await get(s.port, path, { origin: "http://evil.example" });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toEqual({ error: 'Origin "http://evil.example" is not allowed; add it with --allowed-origin' });
      expect((await get(s.port, path, { origin: `http://127.0.0.1:${s.port}` })).status).toBe(200);
      expect((await get(s.port, path, { origin: "http://dev.example:5173" })).status).toBe(200);
    }
  });

  it("a foreign Host is refused before the token is looked at (403, not 401)", async () => {
    const s = await server({ token: TOKEN });
    const r = await get(s.port, "/health", { host: "rebound.example" });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toContain('Host "rebound.example" is not allowed');
  });
});

describe("prototype pollution", () => {
  // Keys no schema names are ignored (and listed in the ack); wrong types are refused. Neither pollutes.
  const hostile: [string, string, { code: string } | { ignored: string[] }][] = [
    ["__proto__ in data", '{"type":"get_replay","data":{"__proto__":{"polluted":1}},"id":1}', { ignored: ["data.__proto__"] }],
    ["constructor.prototype in data", '{"type":"get_replay","data":{"constructor":{"prototype":{"polluted":1}}},"id":2}', { ignored: ["data.constructor"] }],
    ["__proto__ in the envelope", '{"type":"get_system_info","__proto__":{"polluted":1},"id":3}', { ignored: ["__proto__"] }],
    ["constructor in the envelope", '{"type":"get_system_info","constructor":{"prototype":{"polluted":1}},"id":4}', { ignored: ["constructor"] }],
    ["nested __proto__ in a string field's place", '{"type":"text_input","data":{"text":{"__proto__":{"polluted":1}}},"id":5}', { code: "invalid_data" }],
    ["__proto__ deep inside nested data", `{"type":"get_system_info","data":{"a":{"b":{"c":{"__proto__":{"polluted":1}}}}},"id":6}`, { ignored: ["data.a"] }],
    ["type __proto__", '{"type":"__proto__","data":{"polluted":1},"id":7}', { code: "unknown_type" }],
    ["type constructor", '{"type":"constructor","data":{},"id":8}', { code: "unknown_type" }],
    ["type toString", '{"type":"toString","data":{},"id":9}', { code: "unknown_type" }],
    ["type hasOwnProperty", '{"type":"hasOwnProperty","id":10}', { code: "unknown_type" }],
  ];

  it.each(hostile)("%s is answered (%j), pollutes nothing, and the server keeps serving", async (_name, frame, expected) => {
    const s = await server();
    const c = await connect(s.wsUrl);
    c.ws.send(frame, { binary: false });
    const answer = await c.waitFor((m) => m.type === "command_error" || m.type === "command_ack");
    if ("code" in expected) expect(answer).toMatchObject({ type: "command_error", data: { code: expected.code, id: JSON.parse(frame).id } });
    else expect(answer).toMatchObject({ type: "command_ack", data: { id: JSON.parse(frame).id, ignored: expected.ignored } });
    for (const proto of [Object.prototype, Function.prototype, Array.prototype]) expect((proto as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await c.command("get_system_info", {}, "after")).type).toBe("command_ack");
  });

  it("a replayed event built from client-controlled text does not carry prototype keys into other clients", async () => {
    const s = await server();
    const a = await connect(s.wsUrl);
    // Text from a client becomes event data verbatim only through the pipeline; the server echoes
    // ids of refused commands. A __proto__ id is a plain string and stays one.
    a.send({ type: "nope", id: "__proto__" });
    const err = await a.waitForType("command_error");
    expect(err.data).toMatchObject({ id: "__proto__", code: "unknown_type" });
    expect(Object.getPrototypeOf(err.data)).toBe(Object.prototype);
  });
});

describe("deeply nested and huge JSON", () => {
  it("is answered with the documented code while another client's events keep flowing in order", async () => {
    const s = await server({ maxCommandBytes: 64 * 1024, maxFrameBytes: 256 * 1024 });
    const attacker = await connect(s.wsUrl);
    const bystander = await connect(s.wsUrl);
    let published = 0;
    const ticker = setInterval(() => {
      void s.broadcast({ type: "llm_progress", data: { turn_id: "t1", delta: `w${published}`, index: published } });
      published++;
    }, 2);
    try {
      const depth = 30_000; // 60 KB: under the command limit, deeper than any recursive parser survives
      const frames: [string, string][] = [
        ["[".repeat(depth) + "]".repeat(depth), "invalid_data"],
        ['{"type":"stt_stop","data":' + '{"a":'.repeat(depth / 5) + "1" + "}".repeat(depth / 5) + "}", "invalid_data"],
        ['{"type":"text_input","data":{"text":' + "[".repeat(depth) + "]".repeat(depth) + "}}", "invalid_data"],
        ['{"type":"x","id":' + "[".repeat(depth) + "]".repeat(depth) + "}", "invalid_data"],
        ["[".repeat(depth), "invalid_json"], // truncated: never closed
        ['{"type":"stt_stop","data":{"text":"' + "x".repeat(70_000) + '"}}', "too_large"],
        [JSON.stringify({ type: "text_input", data: { text: "y".repeat(100_000) } }), "too_large"],
      ];
      for (const [frame, code] of frames) {
        const from = attacker.messages.length;
        attacker.ws.send(frame, { binary: false });
        const err = await attacker.waitFor((m) => m.type === "command_error", { from });
        expect(err.data).toMatchObject({ code });
      }
      // A frame past maxFrameBytes ends only the sender's connection, with 1009.
      attacker.ws.send("[".repeat(300_000), { binary: false });
      await attacker.closed();
      expect(attacker.closeCode).toBe(1009);
    } finally {
      clearInterval(ticker);
    }
    await bystander.waitFor((m) => m.seq === published, { timeoutMs: 10_000 });
    expect(bystander.ofType("llm_progress").map((m) => m.seq)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    expect(bystander.closeCode).toBeNull();
    expect((await bystander.command("get_system_info")).type).toBe("command_ack");
  });
});

describe("the token never reaches the log", () => {
  function capture(): Logger & { lines: string[] } {
    const lines: string[] = [];
    const put = (level: string) => (message: string, fields?: LogFields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    return { lines, info: put("info"), warn: put("warn"), error: put("error") };
  }

  it("accepted, refused, wrong and near-miss tokens, on the upgrade and on HTTP, log no part of it", async () => {
    const logger = capture();
    const s = await server({ token: TOKEN, logger });
    await connect(s.wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    await connect(s.wsUrl, { protocols: ["coda.v1", `coda-token.${TOKEN}`] });
    for (const attempt of [`${TOKEN}x`, TOKEN.slice(0, -1), TOKEN.toUpperCase()]) {
      await expect(TestClient.connect(s.wsUrl, { headers: { authorization: `Bearer ${attempt}` } })).rejects.toMatchObject({ status: 401, body: "Missing or wrong token" });
      await expect(TestClient.connect(s.wsUrl, { protocols: [`coda-token.${attempt}`] })).rejects.toMatchObject({ status: 401 });
      expect((await get(s.port, "/health", { authorization: `Bearer ${attempt}` })).body).not.toContain(attempt);
    }
    await get(s.port, "/health", { authorization: `Bearer ${TOKEN}` });
    const c = await connect(s.wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    // Commands that carry the token as data are refused without echoing it.
    c.send({ type: "text_input", data: { text: { secret: TOKEN }, extra: TOKEN } });
    const err = await c.waitForType("command_error");
    expect(JSON.stringify(err)).not.toContain(TOKEN);
    await c.close();
    await s.stop();
    expect(logger.lines.length).toBeGreaterThan(5); // the log did record the refusals and connections
    const log = logger.lines.join("\n");
    expect(log).toContain("upgrade refused");
    expect(log).not.toContain(TOKEN.slice(4, -4));
  });
});
