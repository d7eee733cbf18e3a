/**
 * Child process of bench/sessions.ts (plain JS: children cannot load
 * TypeScript on Node 20 without a loader, and this one should cost the
 * server nothing to start): opens `clients` WebSocket clients to
 * `${url}/?session=s<i % sessions>` and, on the parent's word,
 *
 * - `count`: reports once every client has received `frames` text frames
 *   after the word (counted without parsing, so the receiving cost is the
 *   same for every server measured);
 * - `turns`: has every client run `turns` typed turns one after another
 *   (text_input, then wait for its session's machine to be idle again), and
 *   reports the time of each turn (send to idle), in ms.
 *
 * Messages to the parent: ready, expecting, done {latencies?}, closed,
 * error {message}.
 */
import WebSocket from "ws";

const { url, clients, sessions } = JSON.parse(process.env.SESSIONS_CLIENTS);
const send = (m) => process.send(m);
const sockets = [];
const counts = new Array(clients).fill(0);
let expectFrames = Infinity;
let counted = 0;
/** Per client, while it runs turns: what to do with the next frame. */
const onFrame = new Array(clients).fill(null);

let open = 0;
for (let i = 0; i < clients; i++) {
  const ws = new WebSocket(`${url}/?session=s${i % sessions}`, ["coda.v1"], { perMessageDeflate: false });
  sockets.push(ws);
  ws.on("open", () => {
    if (++open === clients) send({ type: "ready" });
  });
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    if (onFrame[i]) return onFrame[i](data.toString());
    if (++counts[i] === expectFrames && ++counted === clients) send({ type: "done" });
  });
  ws.on("error", (err) => send({ type: "error", message: err.message }));
}

/** Client i runs `turns` typed turns in a row; resolves with each one's time (ms). */
function runTurns(i, turns) {
  const ws = sockets[i];
  const latencies = [];
  return new Promise((resolve, reject) => {
    let k = 0;
    let sentAt = 0;
    const next = () => {
      if (k === turns) {
        onFrame[i] = null;
        return resolve(latencies);
      }
      sentAt = performance.now();
      ws.send(JSON.stringify({ type: "text_input", data: { text: `question ${k} from client ${i}` } }));
      k++;
    };
    onFrame[i] = (text) => {
      // Only two kinds of frame matter: the machine back at idle, and a refusal.
      if (text.includes('"command_error"')) return reject(new Error(`client ${i}: ${text.slice(0, 300)}`));
      if (!text.includes('"state_change"')) return;
      const e = JSON.parse(text);
      if (e.type === "state_change" && e.data.state === "idle" && e.data.mode === null) {
        latencies.push(performance.now() - sentAt);
        next();
      }
    };
    next();
  });
}

process.on("message", (msg) => {
  if (msg.type === "expect") {
    counts.fill(0);
    counted = 0;
    expectFrames = msg.frames;
    send({ type: "expecting" });
  } else if (msg.type === "turns") {
    Promise.all(sockets.map((_, i) => runTurns(i, msg.turns))).then(
      (all) => send({ type: "done", latencies: all.flat() }),
      (err) => send({ type: "error", message: err.message }),
    );
  } else if (msg.type === "close") {
    for (const ws of sockets) ws.terminate();
    send({ type: "closed" });
  }
});
