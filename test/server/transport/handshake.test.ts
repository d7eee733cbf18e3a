/**
 * Who may connect: loopback by default (localhost and 127.0.0.1 both work),
 * foreign Origins and Hosts are refused with 403, a token beyond loopback,
 * a client limit, and the plain HTTP routes on the same port.
 */
import { get } from "node:http";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "../../../server/transport/server.js";
import { silentLogger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { useServers } from "../../helpers/server.js";

const { server, client: connect, track } = useServers();

describe("binding", () => {
  it("host localhost serves ws://localhost, ws://127.0.0.1 and ws://[::1] on one port", async () => {
    const s = new WebSocketServer({ port: 0, logger: silentLogger });
    await s.start();
    track(s);
    expect(s.url).toBe(`ws://localhost:${s.port}`);
    for (const host of ["localhost", "127.0.0.1", "[::1]"]) {
      const c = await connect(`ws://${host}:${s.port}`);
      expect(c.ofType("connection_status")[0]!.data.status).toBe("connected");
    }
    expect(s.clientCount).toBe(3);
  });

  it("defaults to localhost:8765", () => {
    const s = new WebSocketServer({ logger: silentLogger });
    expect([s.host, s.port]).toEqual(["localhost", 8765]);
  });

  it("refuses to listen beyond loopback without a token, naming the setting", () => {
    expect(() => new WebSocketServer({ host: "0.0.0.0" })).toThrow(
      new TypeError("Listening on 0.0.0.0 (beyond loopback) requires a token: set the token option (--token or CODA_TOKEN), or tokenSecret for session-scoped tokens (--token-secret or CODA_TOKEN_SECRET)"),
    );
  });

  it("refuses invalid options with one precise TypeError", () => {
    expect(() => new WebSocketServer({ port: 70000 })).toThrow(/Invalid server option: port/);
    expect(() => new WebSocketServer({ replaySize: -1 })).toThrow(/replaySize/);
    expect(() => new WebSocketServer({ maxCommandBytes: 1 << 21, maxFrameBytes: 1 << 20 })).toThrow("maxCommandBytes must not exceed maxFrameBytes");
  });
});

describe("Origin", () => {
  it("accepts clients without Origin, the server's own origin and configured origins", async () => {
    const s = await server({ allowedOrigins: ["http://dev.example:5173"] });
    await connect(s.wsUrl);
    await connect(s.wsUrl, { origin: `http://127.0.0.1:${s.port}` });
    await connect(s.wsUrl, { origin: `http://localhost:${s.port}` });
    await connect(s.wsUrl, { origin: "http://dev.example:5173" });
    expect(s.clientCount).toBe(4);
  });

  it.each(["http://evil.example", `http://evil.example:PORT`, "null", "http://localhost:1", "file://"])("refuses Origin %s with HTTP 403 and a reason", async (origin) => {
    const s = await server();
    const o = origin.replace("PORT", String(s.port));
    await expect(TestClient.connect(s.wsUrl, { origin: o })).rejects.toMatchObject({ status: 403, body: expect.stringContaining(`Origin "${o}" is not allowed`) });
    expect(s.clientCount).toBe(0);
  });
});

describe("Host", () => {
  it("refuses a Host that is not this server (DNS rebinding) with 403", async () => {
    const s = await server();
    await expect(TestClient.connect(s.wsUrl, { headers: { host: `attacker.example:${s.port}` } })).rejects.toMatchObject({
      status: 403,
      body: expect.stringContaining('Host "attacker.example'),
    });
    // The plain HTTP routes obey the same rule.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      get({ host: "127.0.0.1", port: s.port, path: "/health", headers: { host: "attacker.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on("error", reject),
    );
    expect(status).toBe(403);
  });

  it("accepts configured extra host names", async () => {
    const s = await server({ allowedHosts: ["coda.lan"] });
    await connect(s.wsUrl, { headers: { host: `coda.lan:${s.port}` } });
    expect(s.clientCount).toBe(1);
  });
});

describe("token", () => {
  const token = "s3cret-token-0123456789";
  it("requires the token from Authorization: Bearer or the coda-token subprotocol", async () => {
    const s = await server({ token });
    await expect(TestClient.connect(s.wsUrl)).rejects.toMatchObject({ status: 401, body: "Missing or wrong token" });
    await expect(TestClient.connect(s.wsUrl, { headers: { authorization: "Bearer wrong-token-000000000" } })).rejects.toMatchObject({ status: 401 });
    await connect(s.wsUrl, { headers: { authorization: `Bearer ${token}` } });
    const browserLike = await connect(s.wsUrl, { protocols: ["coda.v1", `coda-token.${token}`] });
    expect(browserLike.ws.protocol).toBe("coda.v1");
    expect(s.clientCount).toBe(2);
  });
});

describe("limits", () => {
  it("refuses clients past maxClients with HTTP 503", async () => {
    const s = await server({ maxClients: 2 });
    await connect(s.wsUrl);
    await connect(s.wsUrl);
    await expect(TestClient.connect(s.wsUrl)).rejects.toMatchObject({ status: 503, body: "Too many clients (limit 2)" });
  });
});

describe("HTTP routes on the same port", () => {
  it("serves /health, /schema and a landing page; unknown paths are 404 JSON", async () => {
    const s = await server();
    const base = `http://127.0.0.1:${s.port}`;
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", protocol_version: "1.0", clients: 0, sessions: 1, last_seq: 0, state: null });
    const schema = await fetch(`${base}/schema`);
    expect(schema.headers.get("content-type")).toContain("application/schema+json");
    const doc = (await schema.json()) as { $defs: Record<string, unknown> };
    expect(Object.keys(doc.$defs)).toContain("event.llm_progress");
    expect(Object.keys(doc.$defs)).toContain("command.stt_start");
    const page = await fetch(`${base}/`);
    expect(await page.text()).toContain(`ws://127.0.0.1:${s.port}`);
    const metrics = await fetch(`${base}/metrics.json`);
    expect(await metrics.json()).toEqual({ window: 0, turns: 0, figures: {} });
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "No route /nope; try /health, /sessions, /metrics, /schema or /asyncapi.yaml" });
    const post = await fetch(`${base}/health`, { method: "POST" });
    expect(post.status).toBe(405);
  });
});

describe("Origin on a server bound to every interface", () => {
  it("accepts a page served from the Host it asked (the phone case), refuses other origins", async () => {
    const { Gatekeeper } = await import("../../../server/transport/handshake.js");
    const { resolveServerOptions } = await import("../../../server/transport/options.js");
    const gate = new Gatekeeper(resolveServerOptions({ host: "0.0.0.0", port: 8765, token: "0123456789abcdef" }));
    gate.setPort(8765);
    const req = (origin: string, host: string) => ({ headers: { origin, host } }) as never;
    expect(gate.checkOrigin(req("http://192.168.1.5:8765", "192.168.1.5:8765"))).toBeNull();
    expect(gate.checkOrigin(req("http://evil.example:8765", "192.168.1.5:8765"))).toMatchObject({ status: 403 });
    expect(gate.checkOrigin(req("http://192.168.1.5:9999", "192.168.1.5:9999"))).toMatchObject({ status: 403 });
  });
});

describe("subprotocols", () => {
  it("offering the token subprotocol without coda.v1 is refused with 400 and how to fix it", async () => {
    const s = await server({ token: "s3cret-token-0123456789" });
    await expect(TestClient.connect(s.wsUrl, { protocols: ["coda-token.s3cret-token-0123456789"] })).rejects.toMatchObject({
      status: 400,
      body: "Offer the subprotocol coda.v1 next to coda-token.<token>",
    });
  });
});
