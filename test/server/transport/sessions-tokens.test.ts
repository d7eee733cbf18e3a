/**
 * Session-scoped tokens through real sockets: a JWT signed with
 * `tokenSecret` (HS256, minted here with jose's SignJWT, as
 * docs/protocol.md shows) admits its own session as its own user, by
 * header or subprotocol; another session or user is 403 with a reason; an
 * absent `?session=`/`?user=` is the token's; expired, wrongly signed,
 * another algorithm or claims that name no session are 401; the server's
 * `token` still admits everything. On HTTP, a scoped token sees its own
 * session in /sessions and /metrics.json, not the server-wide figures.
 */
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { EventData } from "../../../server/protocol/index.js";
import { WebSocketServer } from "../../../server/transport/server.js";
import { TestClient } from "../../helpers/client.js";
import { useServers } from "../../helpers/server.js";

const { server, client } = useServers();

const SECRET = "a-secret-of-at-least-thirty-two-characters";
const TOKEN = "server-token-0123456789";
const key = (secret = SECRET) => new TextEncoder().encode(secret);

/** A scoped token as a deployment mints one. */
async function mint(claims: Record<string, unknown>, options: { secret?: string; expiresIn?: string | number; alg?: string } = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? "HS256" }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(key(options.secret));
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const welcome = (c: TestClient) => c.ofType("connection_status")[0]!.data as EventData<"connection_status">;

describe("session-scoped tokens on the upgrade", () => {
  it("admit their own session, as their own user, by header or subprotocol; absent parameters are the token's", async () => {
    const s = await server({ tokenSecret: SECRET });
    const token = await mint({ session: "kitchen", user: "ana" }, { expiresIn: "1h" });
    expect(welcome(await client(`${s.wsUrl}/?session=kitchen&user=ana`, bearer(token)))).toMatchObject({ session: "kitchen", user: "ana" });
    expect(welcome(await client(s.wsUrl, bearer(token)))).toMatchObject({ session: "kitchen", user: "ana", session_new: false });
    const browser = await client(`${s.wsUrl}/?session=kitchen`, { protocols: ["coda.v1", `coda-token.${token}`] });
    expect(welcome(browser)).toMatchObject({ session: "kitchen", user: "ana" });
    expect(browser.ws.protocol).toBe("coda.v1");
  });

  it("refuse another session or another user with 403 and a reason", async () => {
    const s = await server({ tokenSecret: SECRET });
    const token = await mint({ session: "kitchen", user: "ana" });
    await expect(TestClient.connect(`${s.wsUrl}/?session=garage`, bearer(token))).rejects.toMatchObject({ status: 403, body: 'This token is for session "kitchen", not "garage"' });
    await expect(TestClient.connect(`${s.wsUrl}/?session=default`, bearer(token))).rejects.toMatchObject({ status: 403, body: 'This token is for session "kitchen", not "default"' });
    await expect(TestClient.connect(`${s.wsUrl}/?session=kitchen&user=bob`, bearer(token))).rejects.toMatchObject({ status: 403, body: 'This token is for user "ana", not "bob"' });
    // Refused before anything was made.
    expect(s.sessions().map((r) => r.id)).toEqual(["default"]);
  });

  it("refuse with 401 a token that is expired, signed with another secret or algorithm, or names no session or user", async () => {
    const s = await server({ tokenSecret: SECRET });
    const refused = async (token: string, reason: string) =>
      expect(TestClient.connect(`${s.wsUrl}/?session=kitchen`, bearer(token))).rejects.toMatchObject({ status: 401, body: reason });
    await refused(await mint({ session: "kitchen", user: "ana" }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }), "Token expired");
    await refused(await mint({ session: "kitchen", user: "ana" }, { secret: "another-secret-of-thirty-two-characters!" }), "Token signature does not verify (signed with another secret?)");
    await refused(await mint({ session: "kitchen", user: "ana" }, { alg: "HS512", secret: `${SECRET}${SECRET}` }), "Token must be signed with HS256");
    await refused(await mint({ user: "ana" }), "Token claims must name a session and a user (`session` and `user`, each 1 to 64 of A-Z a-z 0-9 _ -)");
    await refused(await mint({ session: "kitchen", user: "a b" }), "Token claims must name a session and a user (`session` and `user`, each 1 to 64 of A-Z a-z 0-9 _ -)");
    await refused("abc.def.ghi", "Token is not a valid JWT");
    await refused("not-a-jwt-at-all", "Missing or wrong token");
    await expect(TestClient.connect(s.wsUrl)).rejects.toMatchObject({ status: 401, body: "Missing or wrong token" });
    // The server keeps serving.
    expect(welcome(await client(`${s.wsUrl}/?session=kitchen`, bearer(await mint({ session: "kitchen", user: "ana" }))))).toMatchObject({ session: "kitchen" });
  });

  it("the server's token still admits every session and user", async () => {
    const s = await server({ tokenSecret: SECRET, token: TOKEN });
    expect(welcome(await client(`${s.wsUrl}/?session=garage&user=bob`, bearer(TOKEN)))).toMatchObject({ session: "garage", user: "bob" });
    expect(welcome(await client(s.wsUrl, { protocols: ["coda.v1", `coda-token.${TOKEN}`] }))).toMatchObject({ session: "default", user: "default" });
    // Without tokenSecret a JWT is just a wrong token.
    const plain = await server({ token: TOKEN });
    await expect(TestClient.connect(plain.wsUrl, bearer(await mint({ session: "default", user: "ana" })))).rejects.toMatchObject({ status: 401, body: "Missing or wrong token" });
  });

  it("tokenSecret: at least 32 characters; it satisfies the rule that beyond loopback a token is required", () => {
    expect(() => new WebSocketServer({ tokenSecret: "too-short" })).toThrow(/Invalid server option: tokenSecret/);
    expect(() => new WebSocketServer({ host: "0.0.0.0", tokenSecret: SECRET })).not.toThrow();
  });
});

describe("session-scoped tokens on HTTP routes", () => {
  it("see their own session in /sessions and /metrics.json, not the Prometheus figures; the server's token sees all", async () => {
    const s = await server({ tokenSecret: SECRET, token: TOKEN });
    await client(`${s.wsUrl}/?session=kitchen`, bearer(TOKEN));
    await client(`${s.wsUrl}/?session=garage`, bearer(TOKEN));
    const scoped = await mint({ session: "kitchen", user: "ana" });
    const base = `http://127.0.0.1:${s.port}`;
    const get = async (path: string, token: string) => {
      const res = await fetch(`${base}${path}`, bearer(token));
      return { status: res.status, body: (await res.json()) as unknown };
    };
    expect(((await get("/sessions", scoped)).body as { id: string }[]).map((r) => r.id)).toEqual(["kitchen"]);
    expect(((await get("/sessions", TOKEN)).body as { id: string }[]).map((r) => r.id)).toEqual(["default", "kitchen", "garage"]);
    expect(await get("/metrics.json", scoped)).toEqual({ status: 200, body: { window: 0, turns: 0, figures: {} } });
    expect(await get("/metrics.json?session=garage", scoped)).toEqual({ status: 403, body: { error: 'This token is for session "kitchen", not "garage"' } });
    expect(await get("/metrics", scoped)).toEqual({ status: 403, body: { error: "A session-scoped token does not see the server-wide metrics; use the server's token" } });
    expect((await get("/health", scoped)).body).toMatchObject({ status: "ok", sessions: 3 });
    expect(await get("/sessions", await mint({ session: "kitchen", user: "ana" }, { expiresIn: 1 }))).toEqual({ status: 401, body: { error: "Token expired" } });
    expect((await fetch(`${base}/sessions`)).status).toBe(401);
  });
});
