/**
 * The WebSocket endpoint is `/` (docs/protocol.md, "Connecting"; the
 * dashboard, the typed client and Coda Lite's dashboard all connect there):
 * an upgrade to any other path (`/health`, `/metrics`, `/dashboard/...`) is
 * refused with 404 and a reason naming the endpoint, and counts as no client.
 */
import { describe, expect, it } from "vitest";
import { TestClient } from "../../helpers/client.js";
import { useServers } from "../../helpers/server.js";

const { server, client } = useServers();

describe("upgrade path", () => {
  it("accepts the upgrade on /, with or without a query", async () => {
    const s = await server();
    await client(`${s.wsUrl}/`);
    await client(s.wsUrl);
    await client(`${s.wsUrl}/?since=0`);
    await client(`${s.wsUrl}?audio=0`);
    expect(s.clientCount).toBe(4);
  });

  it.each(["/health", "/health?since=1", "/metrics", "/schema", "/dashboard/app.js", "/ws", "/index.html"])(
    "refuses an upgrade to %s with 404 and the endpoint to use",
    async (path) => {
      const s = await server();
      await expect(TestClient.connect(`${s.wsUrl}${path}`)).rejects.toMatchObject({
        status: 404,
        body: `No WebSocket endpoint at this path: connect to ws://host:port/ (plain HTTP routes such as /health are not WebSocket endpoints)`,
      });
      expect(s.clientCount).toBe(0);
    },
  );
});
