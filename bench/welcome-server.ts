/**
 * Child process of bench/replay.ts: one server alone in its process, so the
 * welcome fan-out is measured without the clients' work. `coda FILE`: Coda's
 * WebSocketServer after broadcasting the logged events in FILE (so its log
 * and conversation are those of the measured turns); `raw FILE`: a bare `ws`
 * server that sends each client the two welcome frames in FILE, as
 * captured from Coda. Prints `port N` once listening.
 * Run with: node --import tsx bench/welcome-server.ts coda|raw FILE
 */
import { readFileSync } from "node:fs";
import { WebSocketServer as RawServer } from "ws";
import { WebSocketServer } from "../server/index.js";
import { silentLogger } from "../server/app/logger.js";
import type { EventInput } from "../server/protocol/index.js";

const [kind, file] = [process.argv[2], process.argv[3]!];
let port: number;
if (kind === "coda") {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, logger: silentLogger, maxClients: 100_000 });
  await server.start();
  for (const e of JSON.parse(readFileSync(file, "utf8")) as (EventInput & { seq?: number })[]) {
    const { seq: _seq, ...event } = e;
    await server.broadcast(event as EventInput);
  }
  port = server.port;
} else {
  const { status, replay } = JSON.parse(readFileSync(file, "utf8")) as { status: string; replay: string };
  const frames = [Buffer.from(status), Buffer.from(replay)];
  const wss = new RawServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once("listening", r));
  port = (wss.address() as { port: number }).port;
  wss.on("connection", (ws) => {
    for (const f of frames) ws.send(f, { binary: false });
  });
}
process.stdout.write(`port ${port}\n`);
