/**
 * Worker for bench/fanout.ts (plain JS: workers cannot load TypeScript on Node 20): opens N WebSocket clients to a URL and reports
 * when every client has received `frames` text frames after the "expect" message.
 * Clients count frames without parsing, so the receiving cost is identical
 * for every server measured.
 */
import { parentPort as workerPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

// Run as a worker thread, or as a child process (fork) so the parent's CPU time is the server's alone.
const parentPort = workerPort ?? { postMessage: (m) => process.send(m), on: (event, fn) => process.on(event, fn) };
const { url, clients } = workerData ?? JSON.parse(process.env.FANOUT_CLIENTS);
let expectFrames = Infinity;
let done = 0;
const counts = new Array(clients).fill(0);
const sockets = [];

function check(i) {
  if (counts[i] === expectFrames) {
    done++;
    if (done === clients) parentPort.postMessage({ type: "done" });
  }
}

let open = 0;
for (let i = 0; i < clients; i++) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  sockets.push(ws);
  ws.on("open", () => {
    if (++open === clients) parentPort.postMessage({ type: "ready" });
  });
  ws.on("message", () => {
    counts[i]++;
    check(i);
  });
  ws.on("error", (err) => parentPort.postMessage({ type: "error", message: err.message }));
}

parentPort.on("message", (msg) => {
  if (msg.type === "expect") {
    // Welcome, replay and presence frames arrived before this; count from here.
    counts.fill(0);
    expectFrames = msg.frames;
  } else if (msg.type === "close") {
    for (const ws of sockets) ws.terminate();
    parentPort.postMessage({ type: "closed" });
  }
});
