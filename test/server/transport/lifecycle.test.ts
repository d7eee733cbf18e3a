/**
 * Server lifecycle and hostile request targets: a request line the URL
 * parser rejects is a 400, never a crash; stop() during start() leaves
 * nothing listening.
 */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "../../../server/transport/server.js";
import { silentLogger } from "../../../server/app/logger.js";
import { useServers } from "../../helpers/server.js";

const { server, client } = useServers();

/** Send one raw HTTP request and resolve with the status line. */
function rawRequest(port: number, target: string, upgrade: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1", () => {
      const headers = [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
      if (upgrade) headers.push("Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
      sock.write(headers.join("\r\n") + "\r\n\r\n");
    });
    let data = "";
    sock.on("data", (d) => {
      data += d.toString();
      if (data.includes("\r\n")) {
        resolve(data.split("\r\n")[0]!);
        sock.destroy();
      }
    });
    sock.on("error", reject);
  });
}

describe("hostile request targets", () => {
  it.each(["http://[/", "//evil.example/", "*"])("%s is answered 400 on HTTP and on upgrade, and the server keeps serving", async (target) => {
    const s = await server();
    expect(await rawRequest(s.port, target, false)).toBe("HTTP/1.1 400 Bad Request");
    expect(await rawRequest(s.port, target, true)).toBe("HTTP/1.1 400 Bad Request");
    const c = await client(s.wsUrl);
    expect((await c.command("get_system_info")).type).toBe("command_ack");
  });
});

describe("lifecycle", () => {
  it("stop() while start() is still binding leaves nothing listening", async () => {
    const s = new WebSocketServer({ host: "127.0.0.1", port: 0, logger: silentLogger });
    const started = s.start();
    await s.stop();
    await started;
    const port = s.port;
    expect(port).toBeGreaterThan(0);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it("start() twice is refused with a clear error", async () => {
    const s = await server();
    await expect(s.start()).rejects.toThrow("start() called on a server that is running");
  });
});
