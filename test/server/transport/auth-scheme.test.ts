/**
 * The Authorization scheme is case-insensitive (RFC 7235 section 2.1):
 * `bearer`, `BEARER` and `Bearer` all carry the token, on the WebSocket
 * upgrade and on the HTTP routes; a wrong token or another scheme is still 401.
 */
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { useServers } from "../../helpers/server.js";
import { TestClient } from "../../helpers/client.js";

const TOKEN = "scheme-token-4b8e1d7f2a9c";

function getHealth(port: number, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/health", headers: { authorization } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Authorization scheme", () => {
  const { server, client } = useServers();

  it.each(["Bearer", "bearer", "BEARER", "bEaReR"])("accepts the scheme written %s, on the upgrade and on /health", async (scheme) => {
    const s = await server({ token: TOKEN });
    const c = await client(s.wsUrl, { headers: { authorization: `${scheme} ${TOKEN}` } });
    expect(c.messages[0]).toMatchObject({ type: "connection_status", data: { status: "connected" } });
    expect(await getHealth(s.port, `${scheme} ${TOKEN}`)).toBe(200);
  });

  it("still refuses a wrong token or another scheme with 401", async () => {
    const s = await server({ token: TOKEN });
    for (const authorization of [`bearer ${TOKEN}x`, `Basic ${TOKEN}`, `Bearer${TOKEN}`, TOKEN]) {
      await expect(TestClient.connect(s.wsUrl, { headers: { authorization } })).rejects.toMatchObject({ status: 401 });
      expect(await getHealth(s.port, authorization)).toBe(401);
    }
  });
});
