// The dashboard page: one CodaClient (served bundled at /dashboard/client.js)
// feeding the panels, and the controls that send commands and microphone
// audio. Connects to the server that served the page, with ?audio=1 so
// synthesised speech can be played here. A token, when the server needs
// one, can be given in the page's fragment: http://host:port/#token=...
import { CodaClient } from "/dashboard/client.js";
import { Conversation } from "./conversation.js";
import { EventLog } from "./eventlog.js";
import { LatencyChart } from "./latency.js";
import { Microphone } from "./mic.js";
import { SpeechPlayer } from "./player.js";
import { Statechart } from "./statechart.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? undefined;
const client = new CodaClient({ url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`, audio: true, token });
const conversation = new Conversation($("conversation"));
const latency = new LatencyChart($("latency"));
const log = new EventLog($("log"), $("log-filter"), document.querySelector(".log-scroll"), $("log-audio"));
// Playback reports go out every 250 ms while speech plays: without an id, so no command_ack answers each one.
const player = new SpeechPlayer((turnId, state, positionMs) => {
  try {
    client.notify("playback", { turn_id: turnId, state, position_ms: Math.max(0, positionMs) });
  } catch {
    // Not connected: the server's own playout estimate stands in until the next report.
  }
});
const mic = new Microphone();
let chart = null;
let phase = null;

// Exposed for tests and for poking at from the console.
/** @type {Window & { coda?: object }} */ (window).coda = { client, player, mic };

// --- connection ------------------------------------------------------------

const conn = $("conn");
const notice = $("notice");
function say(text) {
  notice.textContent = text;
}
client.on("state", (state, info) => {
  conn.dataset.state = state;
  const reconnects = Math.max(0, client.connections - (state === "open" ? 1 : 0));
  conn.dataset.reconnects = String(reconnects);
  const labels = {
    idle: "not connected",
    connecting: "connecting…",
    open: reconnects ? `connected · ${reconnects} reconnect${reconnects === 1 ? "" : "s"}` : "connected",
    reconnecting: `reconnecting (attempt ${info.attempt}${info.delayMs !== undefined ? `, in ${(info.delayMs / 1000).toFixed(1)} s` : ""})`,
    closed: "disconnected",
  };
  conn.textContent = labels[state];
  if (state === "reconnecting") {
    say("Connection lost; reconnecting…");
    if (mic.running) stopMic();
    player.stop();
  }
});
// Which speech engine and voice answer (default Flite rms; the badge's title says how to switch).
function showVoice(tts) {
  if (tts?.name) $("voice").textContent = `voice: ${tts.name}${tts.voice && tts.voice !== "none" ? ` ${tts.voice}` : ""}`;
}
client.on("welcome", (w) => {
  // system_info names the engine; the voice comes with each tts_start.
  client.getSystemInfo().then((info) => {
    const name = info.engines?.tts;
    if (typeof name === "string" && !$("voice").textContent.startsWith(`voice: ${name}`)) showVoice({ name });
  }, () => {});
  $("machine-state").title = `server ${w.server_version ?? "?"} · protocol ${w.protocol_version ?? "?"} · client ${w.client_id}`;
  // The welcome names only the coarse state; the statechart maps it to the state that announces it.
  if (w.state) showPhase(w.state, w.state);
});
client.on("resume", (r) => {
  if (r.connection === 1 && r.kind === "conversation" && r.turns.length) say(`Restored the last ${r.turns.length} turn${r.turns.length === 1 ? "" : "s"}.`);
  else if (r.connection > 1 && !r.reset && r.missed === 0) say(`Reconnected; caught up on ${r.replayed} event${r.replayed === 1 ? "" : "s"}.`);
});
client.on("gap", (g) => say(`Reconnected, but ${g.missed} event${g.missed === 1 ? " was" : "s were"} no longer held by the server and could not be shown.`));
client.on("reset", () => {
  conversation.newRun("Server restarted");
  say("The server restarted; showing its new run.");
});

// --- events ----------------------------------------------------------------

function showPhase(state, path) {
  phase = state;
  const badge = $("machine-state");
  badge.dataset.phase = state;
  badge.textContent = `state: ${state}`;
  chart?.highlight(path, state);
  $("ptt").setAttribute("aria-pressed", String(state === "listening" && pttHeld));
  if (state === "idle") chart?.running(null);
}

client.on("event", (e, meta) => {
  log.add(e, meta.replayed);
  conversation.apply(e);
  if (e.type === "state_change") showPhase(e.data.state, e.data.path);
  else if (e.type === "tts_start") showVoice({ name: e.data.engine, voice: e.data.voice });
  else if (e.type === "latency_trace") latency.add(e.data, e.data.turn_id);
  else if (!meta.replayed && chart && phase !== "idle") {
    // Which stage works now comes with the statechart (server/dashboard/graph.ts), named by the machine's actor slots.
    const source = "source" in e.data ? e.data.source : undefined;
    const src = chart.d.running[`${e.type}:${source}`] ?? chart.d.running[e.type];
    if (src) chart.running(src);
  }
  if (!meta.replayed) {
    if (e.type === "turn_interrupted") player.cut(e.data.turn_id);
    else if (e.type === "tts_result" && !e.data.interrupted) player.synthesised(e.data.turn_id);
    else if (e.type === "state_change" && e.data.state === "idle" && continuousOn && e.data.mode === null) setContinuous(false);
  }
});
client.on("audio", (chunk) => {
  if (chunk.info && chunk.format) player.play(chunk.pcm, chunk.format, chunk.info.turn_id);
});

fetch("/dashboard/machine.json")
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
  .then((d) => {
    chart = new Statechart($("statechart"), d);
    if (phase) chart.highlight(phase, phase);
  })
  .catch((err) => ($("statechart").textContent = `Could not load the statechart: ${err.message}`));

// --- controls --------------------------------------------------------------

function report(err) {
  say(err?.code ? `${err.code}: ${err.message}` : String(err?.message ?? err));
}

async function run(action) {
  player.unlock();
  try {
    await action();
  } catch (err) {
    report(err);
  }
}

const micStatus = $("mic-status");
/**
 * Open the microphone, then stt_start saying whether the browser applied
 * echo cancellation (the server's default barge-in by voice needs it).
 * Frames captured before the start is acknowledged follow it, in order.
 */
async function startListening(mode) {
  let started = false;
  const early = [];
  await mic.start((frame) => {
    if (started) client.sendAudio(frame);
    else if (early.length < 50) early.push(frame);
  });
  try {
    await client.sttStart(mode, { echoCancellation: mic.echoCancellation });
  } catch (err) {
    await mic.stop();
    throw err;
  }
  started = true;
  for (const frame of early.splice(0)) client.sendAudio(frame);
  micStatus.textContent = `Microphone on · streaming 16 kHz PCM${mic.echoCancellation ? " · echo cancellation on" : ""}`;
}
async function stopMic() {
  await mic.stop();
  micStatus.textContent = "";
}

let pttHeld = false;
async function pttDown() {
  if (pttHeld) return;
  pttHeld = true;
  $("ptt").setAttribute("aria-pressed", "true");
  await run(() => startListening("push_to_talk"));
  if (!pttHeld) await pttUp(true); // released while starting
}
async function pttUp(force = false) {
  if (!pttHeld && !force) return;
  pttHeld = false;
  $("ptt").setAttribute("aria-pressed", "false");
  if (!mic.running) return;
  await stopMic();
  await run(() => client.sttStop());
}
const ptt = $("ptt");
ptt.addEventListener("pointerdown", (e) => {
  ptt.setPointerCapture(e.pointerId);
  pttDown();
});
ptt.addEventListener("pointerup", () => pttUp());
ptt.addEventListener("pointercancel", () => pttUp());
ptt.addEventListener("keydown", (e) => {
  if ((e.key === " " || e.key === "Enter") && !e.repeat) {
    e.preventDefault();
    pttDown();
  }
});
ptt.addEventListener("keyup", (e) => {
  if (e.key === " " || e.key === "Enter") {
    e.preventDefault();
    pttUp();
  }
});
ptt.addEventListener("click", (e) => e.preventDefault());

let continuousOn = false;
function setContinuous(on) {
  continuousOn = on;
  $("continuous").setAttribute("aria-pressed", String(on));
  if (!on && mic.running && !pttHeld) stopMic();
}
$("continuous").addEventListener("click", () =>
  run(async () => {
    if (!continuousOn) {
      await startListening("continuous");
      setContinuous(true);
    } else {
      setContinuous(false);
      await client.sttStop();
    }
  }),
);

// Stop: silent here at once; the server's turn_interrupted (with what was heard) follows.
$("stop").addEventListener("click", () =>
  run(async () => {
    player.silence();
    await client.stopSpeaking();
  }),
);
$("demo").addEventListener("click", () => run(() => client.demoFlow()));
$("speech").addEventListener("change", (e) => {
  player.enabled = /** @type {HTMLInputElement} */ (e.target).checked;
  if (!player.enabled) player.stop();
});
$("ask").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($("text"));
  const text = input.value.trim();
  if (!text) return;
  run(async () => {
    await client.textInput(text);
    input.value = "";
  });
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") {
    player.silence();
    client.stopSpeaking().catch(() => {});
  }
});

client.connect().catch(report);
