/**
 * Worker for test/hardening/load.test.ts (plain JS: Node 20 workers cannot
 * load TypeScript): opens N WebSocket clients to a URL, checks that each one
 * receives logged events with seq +1 each time, and answers the test's
 * requests: pause (stop reading, like a dead or stuck peer), report, close.
 */
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

const { url, clients } = workerData;
const state = [];
let ready = 0;

for (let i = 0; i < clients; i++) {
  const s = { ws: new WebSocket(url, { perMessageDeflate: false }), events: 0, firstSeq: 0, lastSeq: 0, ordered: true, closeCode: null, ready: false };
  state.push(s);
  s.ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(data.toString());
    if (m.type === "replay" && !s.ready) {
      s.ready = true;
      if (++ready === clients) parentPort.postMessage({ type: "ready" });
      return;
    }
    if (m.seq === undefined) return;
    if (s.lastSeq !== 0 && m.seq !== s.lastSeq + 1) s.ordered = false;
    if (s.firstSeq === 0) s.firstSeq = m.seq;
    s.lastSeq = m.seq;
    s.events++;
  });
  s.ws.on("close", (code) => (s.closeCode = code));
  s.ws.on("error", (err) => parentPort.postMessage({ type: "error", message: err.message }));
}

parentPort.on("message", (msg) => {
  if (msg.type === "pause") {
    // Stop reading: the kernel stops acknowledging data, pings go unanswered.
    for (const s of state.slice(0, msg.count)) s.ws._socket.pause();
    parentPort.postMessage({ type: "paused" });
  } else if (msg.type === "report") {
    parentPort.postMessage({ type: "report", clients: state.map((s) => [s.events, s.firstSeq, s.lastSeq, s.ordered, s.closeCode]) });
  } else if (msg.type === "close") {
    for (const s of state) s.ws.terminate();
    parentPort.postMessage({ type: "closed" });
  }
});
