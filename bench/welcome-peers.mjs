/**
 * Child process of bench/replay.ts: opens N WebSocket clients to a URL all at
 * once and prints, as one JSON line, the time from the first connect until
 * every client has received its replay frame, and the bytes received. A
 * refused connection (full accept queue) is retried, at most 5 times.
 * Usage: node bench/welcome-peers.mjs URL N
 */
import WebSocket from "ws";

const [url, n] = [process.argv[2], Number(process.argv[3])];
const REPLAY = Buffer.from('{"type":"replay"');
let done = 0;
let bytes = 0;
const sockets = [];
const start = performance.now();

function connect(i, attempt) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  sockets[i] = ws;
  let got = false;
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    bytes += data.length;
    if (!got && data.subarray(0, REPLAY.length).equals(REPLAY)) {
      got = true;
      if (++done === n) process.stdout.write(JSON.stringify({ ms: performance.now() - start, bytes }) + "\n");
    }
  });
  ws.on("error", () => {
    if (got) return;
    if (attempt >= 5) {
      process.stderr.write(`client ${i} could not connect\n`);
      process.exit(1);
    }
    setTimeout(() => connect(i, attempt + 1), 10);
  });
}

for (let i = 0; i < n; i++) connect(i, 0);
