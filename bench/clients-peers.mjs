/**
 * Child process of bench/clients.ts and bench/soak.ts: opens N WebSocket
 * clients to a URL and keeps them open (idle: they answer pings and read).
 * Prints "ready" once every client is open. With DRIVE=1 (soak), client 0
 * sends demo_flow whenever the machine is back at idle, and "report" on stdin
 * prints the events delivered so far, summed over clients, as JSON.
 * Usage: node bench/clients-peers.mjs URL N
 */
import { createInterface } from "node:readline";
import WebSocket from "ws";

const [url, n] = [process.argv[2], Number(process.argv[3])];
const drive = process.env.DRIVE === "1";
let delivered = 0;
let turns = 0;
let refused = 0;
const sockets = [];

function demo(ws) {
  ws.send(JSON.stringify({ type: "demo_flow", id: `d${turns}` }));
}

function connect(i) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets[i] = ws;
    ws.on("open", () => {
      resolve(true);
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      if (!drive) return;
      const text = data.toString();
      if (text.includes('"seq":')) delivered++;
      if (i !== 0) return;
      const m = JSON.parse(text);
      if (m.type === "state_change" && m.data.state === "idle" && m.seq !== undefined) {
        turns++;
        demo(ws);
      } else if (m.type === "command_error") {
        refused++;
        setTimeout(() => demo(ws), 50);
      }
    });
    // A connection refused under a burst (full accept queue) is retried; it is not the server's doing.
    ws.on("error", () => resolve(false));
  });
}

// Connect in batches so the listen backlog is never the bottleneck being measured.
for (let i = 0; i < n; i += 100) {
  const batch = Array.from({ length: Math.min(100, n - i) }, (_, k) => i + k);
  for (let attempt = 0; attempt < 5 && batch.length; attempt++) {
    const ok = await Promise.all(batch.map((j) => connect(j)));
    batch.splice(0, batch.length, ...batch.filter((_, k) => !ok[k]));
  }
  if (batch.length) {
    process.stderr.write(`could not connect ${batch.length} clients\n`);
    process.exit(1);
  }
}
process.stdout.write("ready\n");

createInterface({ input: process.stdin }).on("line", (line) => {
  const cmd = line.trim();
  if (cmd === "start" && drive) demo(sockets[0]);
  else if (cmd === "report") process.stdout.write(JSON.stringify({ delivered, turns, refused, open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length }) + "\n");
});
