/**
 * Child process of bench/clients.ts: one server, Coda's WebSocketServer or a
 * bare `ws` server, alone in its process so its memory is all that is
 * measured. Prints `port N` once listening; on each "measure" line on stdin
 * it runs the GC and prints one JSON line of memory figures.
 * Run with: node --expose-gc --import tsx bench/clients-server.ts coda|raw
 */
import { createInterface } from "node:readline";
import { WebSocketServer as RawServer } from "ws";
import { WebSocketServer } from "../server/index.js";
import { silentLogger } from "../server/app/logger.js";

const kind = process.argv[2];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

let port: number;
let clients: () => number;
if (kind === "coda") {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, logger: silentLogger, maxClients: 100_000 });
  await server.start();
  port = server.port;
  clients = () => server.clientCount;
} else {
  const wss = new RawServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once("listening", r));
  port = (wss.address() as { port: number }).port;
  clients = () => wss.clients.size;
  if (kind === "raw-presence") {
    // Diagnostic variant: what Coda did on connect before presence was coalesced (a welcome, and one presence frame to everyone else per connect).
    wss.on("connection", (ws) => {
      ws.send(Buffer.from(JSON.stringify({ type: "connection_status", data: { status: "connected", client_id: "c1", clients: wss.clients.size }, timestamp: new Date().toISOString() })));
      const frame = Buffer.from(JSON.stringify({ type: "connection_status", data: { status: "client_connected", client_id: "c1", clients: wss.clients.size }, timestamp: new Date().toISOString() }));
      for (const c of wss.clients) if (c !== ws) c.send(frame);
    });
  }
}
process.stdout.write(`port ${port}\n`);

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() !== "measure") return;
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ clients: clients(), rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }) + "\n");
});
