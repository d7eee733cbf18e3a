// The dashboard page: one CodaClient (served bundled at /dashboard/client.js)
// feeding the panels, and the controls that send commands and microphone
// audio. Connects to the server that served the page, with ?audio=1 so
// synthesised speech can be played here. A token, when the server needs
// one, can be given in the page's fragment: http://host:port/#token=...
// The page follows the session its address names (/?session=kitchen&user=ana,
// passed on to the WebSocket; none: the server's `default`, or a scoped
// token's), says which, and lists the server's live sessions (sessions.js).
// The conversation panel draws the client's own conversation
// (`client.conversation`), so the page and any other client of the typed
// client agree on what each turn was.
import { CodaClient } from "/dashboard/client.js";
import { ConversationView, takeoverText } from "./conversation.js";
import { byId, errorText } from "./dom.js";
import { EventLog } from "./eventlog.js";
import { LatencyChart } from "./latency.js";
import { MemoryPanel } from "./memory.js";
import { Microphone } from "./mic.js";
import { pageSession, sessionOptions, SessionsPanel } from "./sessions.js";
import { SpeechPlayer } from "./player.js";
import { Statechart } from "./statechart.js";

/** @typedef {import("/dashboard/client.js").ConnectionState} ConnectionState */
/** @typedef {import("/dashboard/client.js").ServerEvent} ServerEvent */

/** How long a notice stays (ms); the connection's own troubles stay until they are over. */
const NOTICE_MS = 10_000;

const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? undefined;
const asked = pageSession(location.search);
const client = new CodaClient({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`,
  audio: true,
  token,
  ...sessionOptions(asked),
});
const sessions = new SessionsPanel(
  {
    list: byId("sessions"),
    form: /** @type {HTMLFormElement} */ (byId("ses-open")),
    input: /** @type {HTMLInputElement} */ (byId("ses-id")),
    create: byId("ses-new"),
    refresh: byId("ses-refresh"),
    status: byId("ses-status"),
  },
  { user: asked.user, token, current: () => client.session, open: (href) => location.assign(href) },
);
const memory = new MemoryPanel(
  {
    list: byId("memories"),
    form: /** @type {HTMLFormElement} */ (byId("mem-search")),
    query: /** @type {HTMLInputElement} */ (byId("mem-query")),
    status: byId("mem-status"),
    refresh: byId("mem-refresh"),
  },
  client,
  () => showCutTurns(),
);
const conversation = new ConversationView(byId("conversation"), (id) => memory.heard(id), { me: () => client.clientId, turnOf: (id) => client.conversation.turn(id) });
const latency = new LatencyChart(byId("latency"));
const logScroll = /** @type {HTMLElement} */ (document.querySelector(".log-scroll"));
const log = new EventLog(/** @type {HTMLTableElement} */ (byId("log")), /** @type {HTMLSelectElement} */ (byId("log-filter")), logScroll, byId("log-audio"));
// Playback reports go out every 250 ms while speech plays: without an id, so no command_ack answers each one.
const player = new SpeechPlayer((turnId, state, positionMs) => {
  try {
    client.notify("playback", { turn_id: turnId, state, position_ms: Math.max(0, positionMs) });
  } catch {
    // Not connected: the server's own playout estimate stands in until the next report.
  }
});
const mic = new Microphone();
/** @type {Statechart | null} */
let chart = null;
/** The machine's coarse state, from the welcome and state_change. @type {string | null} */
let phase = null;

// Exposed for tests and for poking at from the console.
/** @type {Window & { coda?: object }} */ (window).coda = { client, player, mic, memory, sessions, get chart() { return chart; } };

// --- connection ------------------------------------------------------------

const conn = byId("conn");
const notice = byId("notice");
/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;
/**
 * Say something in the header; it goes after NOTICE_MS unless `sticky`.
 * @param {string} text
 * @param {{ sticky?: boolean }} [options]
 */
function say(text, options = {}) {
  clearTimeout(noticeTimer);
  notice.textContent = text;
  if (!options.sticky) noticeTimer = setTimeout(() => (notice.textContent = ""), NOTICE_MS);
}
client.on("state", (state, info) => {
  conn.dataset.state = state;
  const reconnects = Math.max(0, client.connections - (state === "open" ? 1 : 0));
  conn.dataset.reconnects = String(reconnects);
  /** @type {Record<ConnectionState, string>} */
  const labels = {
    idle: "not connected",
    connecting: "connecting…",
    open: reconnects ? `connected · ${reconnects} reconnect${reconnects === 1 ? "" : "s"}` : "connected",
    reconnecting: `reconnecting (attempt ${info.attempt}${info.delayMs !== undefined ? `, in ${(info.delayMs / 1000).toFixed(1)} s` : ""})`,
    closed: "disconnected",
  };
  conn.textContent = labels[state];
  if (state === "reconnecting" && client.connections === 0 && asked.session !== null) {
    // The browser does not show why an upgrade was refused; these are the refusals a named session adds.
    say(`Could not join session “${asked.session}” (the server may be at its session limit, or the token may be for another session); retrying…`, { sticky: true });
  } else if (state === "reconnecting") {
    say("Connection lost; reconnecting…", { sticky: true });
    if (mic.running) void stopMic();
    player.stop();
  }
});
/**
 * Which speech engine and voice answer (default Flite rms; the badge's title says how to switch).
 * @param {string | undefined} name
 * @param {string | undefined} voice
 */
function showVoice(name, voice) {
  if (name) byId("voice").textContent = `voice: ${name}${voice && voice !== "none" ? ` ${voice}` : ""}`;
}
client.on("welcome", (w) => {
  const badge = byId("session");
  badge.textContent = `session: ${w.session ?? "default"}${w.user ? ` · user: ${w.user}` : ""}`;
  badge.dataset.session = w.session ?? "default";
  badge.dataset.new = String(w.session_new === true);
  byId("machine-state").title = `server ${w.server_version ?? "?"} · protocol ${w.protocol_version ?? "?"} · client ${w.client_id}`;
  // The welcome names only the coarse state; the statechart maps it to the state that announces it.
  if (w.state) showPhase(w.state, w.state);
});
client.on("resume", (r) => {
  if (r.connection === 1 && notice.textContent.startsWith("Could not join")) say(`Joined session “${client.session}”.`);
  else if (r.connection === 1 && r.kind === "conversation" && r.turns.length) say(`Restored the last ${r.turns.length} turn${r.turns.length === 1 ? "" : "s"}.`);
  else if (r.connection > 1 && !r.reset && r.missed === 0) say(`Reconnected; caught up on ${r.replayed} event${r.replayed === 1 ? "" : "s"}.`);
  else if (r.connection > 1 && notice.textContent === "Connection lost; reconnecting…") say("Reconnected.");
  // Commands can be sent now (not at the welcome: the replay comes first). The server names its voice at start-up.
  client.getSystemInfo().then(
    (info) => showVoice(info.engines?.tts, info.voice),
    () => {},
  );
  void memory.load(memory.query);
  void sessions.load();
  lookUpHeard();
});
client.on("gap", (g) => say(`Reconnected, but ${g.missed} event${g.missed === 1 ? " was" : "s were"} no longer held by the server and could not be shown.`));
client.on("reset", () => {
  // A new epoch: the server restarted, or this session was closed as idle and made anew.
  conversation.newRun(client.sessionNew ? "New session" : "Server restarted");
  say(client.sessionNew ? `Session “${client.session}” was closed while this page was away (left idle, or the server restarted); this is a new conversation.` : "The server restarted; showing its new run.");
});

// --- events ----------------------------------------------------------------

/**
 * @param {string} state the coarse state
 * @param {string} path the state_change path
 */
function showPhase(state, path) {
  phase = state;
  const badge = byId("machine-state");
  badge.dataset.phase = state;
  badge.textContent = `state: ${state}`;
  chart?.highlight(path, state);
  byId("ptt").setAttribute("aria-pressed", String(state === "listening" && pttHeld));
  if (state === "idle") chart?.running(null);
}

/** Draw again the turns whose cut answer only their memory describes (its text may have just arrived). */
function showCutTurns() {
  for (const t of client.conversation.turns) if (t.heard && t.heard.text === null) conversation.show(t);
}

/** Ask the memory panel for the texts of memories that say what was heard of a cut answer. */
function lookUpHeard() {
  const ids = client.conversation.turns.flatMap((t) => (t.heard && t.heard.text === null ? t.memory.stored.filter((m) => m.interrupted).map((m) => m.id) : []));
  if (ids.length) void memory.lookUp(ids).then(showCutTurns);
}

client.on("event", (e, meta) => {
  log.add(e, meta.replayed);
  const turnId = "turn_id" in e.data ? e.data.turn_id : null;
  const turn = typeof turnId === "string" ? client.conversation.turn(turnId) : undefined;
  if (turn) conversation.show(turn);
  // A turn that took another over names its question there once it is known.
  if (turn && (e.type === "stt_start" || e.type === "stt_result" || e.type === "memory_recall")) {
    for (const cut of client.conversation.turns) {
      if (cut.interruption?.by !== turn.id) continue;
      conversation.show(cut);
      if (takenOver?.id === cut.id && notice.textContent === takenOver.text) sayTakenOver(cut);
    }
  }
  if (e.type === "state_change") showPhase(e.data.state, e.data.path);
  else if (e.type === "connection_status" && e.data.status === "clients_changed") void sessions.load();
  else if (e.type === "tts_start") showVoice(e.data.engine, e.data.voice);
  else if (e.type === "latency_trace") latency.add(e.data);
  else if (e.type === "memory_store" && !meta.replayed) {
    memory.stored();
    if (e.data.interrupted) lookUpHeard();
  }
  if (chart && phase !== "idle") showStage(e, meta.replayed);
  if (!meta.replayed) {
    // This page's question taken over by another client's: say so at once, in the header too.
    if (e.type === "turn_interrupted" && turn && e.data.client === client.clientId) sayTakenOver(turn);
    if (e.type === "turn_interrupted") player.cut(e.data.turn_id);
    else if (e.type === "tts_result" && !e.data.interrupted) player.synthesised(e.data.turn_id);
    else if (e.type === "state_change" && e.data.state === "idle" && continuousOn && e.data.mode === null) setContinuous(false);
  }
});

/** The page's own turn another client took over, as the header last said it (said again once the other question is known). @type {{ id: string, text: string } | null} */
let takenOver = null;
/** @param {import("/dashboard/client.js").ConversationTurn} turn */
function sayTakenOver(turn) {
  const text = takeoverText(turn, client.clientId, (id) => client.conversation.turn(id));
  if (!text) return;
  takenOver = { id: turn.id, text };
  say(text);
}

/**
 * What the statechart learns from an event besides state_change: the state
 * entered without one (the answer playing out once synthesised) and which
 * stage's actor works now. Both come with the statechart
 * (server/dashboard/graph.ts: `entered`, and `running` named by the
 * machine's actor slots).
 * @param {ServerEvent} e
 * @param {boolean} replayed
 */
function showStage(e, replayed) {
  if (!chart) return;
  const entered = chart.d.entered[e.type];
  const latest = client.conversation.turns.at(-1)?.id;
  if (entered && phase === "speaking" && "turn_id" in e.data && e.data.turn_id === latest && !(e.type === "tts_result" && e.data.interrupted)) {
    chart.highlightState(entered, phase);
  }
  if (replayed) return;
  const source = "source" in e.data ? e.data.source : undefined;
  const src = chart.d.running[`${e.type}:${source}`] ?? chart.d.running[e.type];
  if (src) chart.running(src);
}

client.on("audio", (chunk) => {
  if (chunk.info && chunk.format) player.play(chunk.pcm, chunk.format, chunk.info.turn_id);
});

fetch("/dashboard/machine.json")
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
  .then((d) => {
    chart = new Statechart(byId("statechart"), d, { note: byId("statechart-note"), tools: byId("statechart-tools") });
    if (phase) chart.highlight(phase, phase);
  })
  .catch((err) => (byId("statechart").textContent = `Could not load the statechart: ${err instanceof Error ? err.message : String(err)}`));

// --- controls --------------------------------------------------------------

/** @param {unknown} err */
function report(err) {
  // Releasing push-to-talk after another client's question took the utterance over is no failure: say what happened.
  if (err instanceof Error && "code" in err && err.code === "overtaken") say(overtakenText() ?? err.message);
  else say(errorText(err));
}

/** What took over this page's last utterance, from the conversation (the server's `overtaken` message names the same). */
function overtakenText() {
  const me = client.clientId;
  const cut = client.conversation.turns.findLast((t) => t.interruption?.client === me && t.interruption.outcome === "utterance_dropped");
  return cut ? takeoverText(cut, me, (id) => client.conversation.turn(id)) : null;
}

/** @param {() => Promise<unknown>} action */
async function run(action) {
  player.unlock();
  try {
    await action();
  } catch (err) {
    report(err);
  }
}

const micStatus = byId("mic-status");
/**
 * Open the microphone, then stt_start saying whether the browser applied
 * echo cancellation (the server's default barge-in by voice needs it).
 * Frames captured before the start is acknowledged follow it, in order.
 * @param {"push_to_talk" | "continuous"} mode
 */
async function startListening(mode) {
  let started = false;
  /** @type {ArrayBuffer[]} */
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
  ptt.setAttribute("aria-pressed", "true");
  await run(() => startListening("push_to_talk"));
  if (!pttHeld) await pttUp(true); // released while starting
}
async function pttUp(force = false) {
  if (!pttHeld && !force) return;
  pttHeld = false;
  ptt.setAttribute("aria-pressed", "false");
  if (!mic.running) return;
  await stopMic();
  await run(() => client.sttStop());
}
const ptt = byId("ptt");
ptt.addEventListener("pointerdown", (e) => {
  ptt.setPointerCapture(e.pointerId);
  void pttDown();
});
ptt.addEventListener("pointerup", () => void pttUp());
ptt.addEventListener("pointercancel", () => void pttUp());
ptt.addEventListener("keydown", (e) => {
  if ((e.key === " " || e.key === "Enter") && !e.repeat) {
    e.preventDefault();
    void pttDown();
  }
});
ptt.addEventListener("keyup", (e) => {
  if (e.key === " " || e.key === "Enter") {
    e.preventDefault();
    void pttUp();
  }
});
ptt.addEventListener("click", (e) => e.preventDefault());

let continuousOn = false;
/** @param {boolean} on */
function setContinuous(on) {
  continuousOn = on;
  byId("continuous").setAttribute("aria-pressed", String(on));
  if (!on && mic.running && !pttHeld) void stopMic();
}
byId("continuous").addEventListener("click", () =>
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
byId("stop").addEventListener("click", () =>
  run(async () => {
    player.silence();
    await client.stopSpeaking();
  }),
);
byId("demo").addEventListener("click", () => run(() => client.demoFlow()));
const speech = /** @type {HTMLInputElement} */ (byId("speech"));
speech.addEventListener("change", () => {
  player.enabled = speech.checked;
  if (!player.enabled) player.stop();
});
const input = /** @type {HTMLInputElement} */ (byId("text"));
byId("ask").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  void run(async () => {
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

if (asked.problem) say(`${asked.problem}: left out, so the server's default is used.`, { sticky: true });
client.connect().catch(report);
