/**
 * Connections that never become WebSocket clients cannot hold descriptors:
 * a connection that has not sent its request headers within
 * headersTimeoutMs is closed, and at most maxPendingConnections
 * not-yet-upgraded connections are kept (the oldest goes first), while
 * upgraded clients do not count against that bound.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { useServers } from "../../helpers/server.js";

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

function rawConnect(port: number): Promise<Socket & { ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    sockets.push(socket);
    let received = "";
    socket.on("data", (d) => (received += d.toString()));
    socket.on("error", () => {});
    const ended = new Promise<string>((r) => socket.once("close", () => r(received)));
    socket.once("connect", () => resolve(Object.assign(socket, { ended })));
    socket.once("error", reject);
  });
}

/** The server still answers HTTP. */
async function healthOk(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return res.status === 200;
}

describe("connections that have not upgraded", () => {
  const { server, client } = useServers();

  it("closes a connection that sends no request headers within headersTimeoutMs, with 408", async () => {
    const s = await server({ headersTimeoutMs: 200 });
    const idle = await rawConnect(s.port);
    const received = await idle.ended;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(await healthOk(s.port)).toBe(true);
  }, 10_000);

  it("keeps at most maxPendingConnections: a new one closes the oldest, and a WebSocket client still gets in", async () => {
    const s = await server({ maxPendingConnections: 3 });
    const idle = [await rawConnect(s.port), await rawConnect(s.port), await rawConnect(s.port)];
    const state = idle.map(() => "open");
    idle.forEach((sock, i) => void sock.ended.then(() => (state[i] = "closed")));
    const c = await client(s.wsUrl);
    expect(c.messages[0]).toMatchObject({ type: "connection_status", data: { status: "connected" } });
    await idle[0]!.ended;
    expect(state).toEqual(["closed", "open", "open"]);
    // The upgraded client holds no pending slot: two more idle connections make four pending, so only the oldest (idle[1]) goes.
    await rawConnect(s.port);
    await rawConnect(s.port);
    await idle[1]!.ended;
    c.send({ type: "get_system_info", data: {} });
    expect((await c.waitForType("system_info")).data).toMatchObject({ clients: 1 });
    expect(state).toEqual(["closed", "closed", "open"]);
  }, 10_000);
});
