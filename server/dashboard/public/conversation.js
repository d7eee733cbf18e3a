// The conversation panel: one entry per turn, drawn from the typed client's
// conversation (`client.conversation`, server/client/conversation.ts), which
// rebuilds the turns from the replay and from live events. The page draws a
// turn again whenever one of its events arrives. Entries are keyed by server
// run and turn id (turn ids start again after a restart); the turns of an
// earlier run stay as they were, under a divider. A turn another client's
// command took over says so in plain words (`takeoverText`).
import { clip, h, ms } from "./dom.js";

/** @typedef {import("/dashboard/client.js").ConversationTurn} Turn */
/** @typedef {{ li: HTMLLIElement, mode: HTMLElement, user: HTMLElement, chips: HTMLElement, takeover: HTMLElement, assistant: HTMLElement, latency: HTMLElement, chipsKey: string }} Entry */

/**
 * Who took a turn over and what happened to it, for people, or null when no
 * other client's command cut it (not cut, cut by its own client, or by the
 * server stopping): "Another client (c3) asked “what time is it” — your
 * question “tell me a story” was not answered."
 * @param {Turn} turn the cut turn
 * @param {string | null} me this page's client id
 * @param {(id: string) => Turn | undefined} turnOf a turn of the conversation by id (the one that took over)
 * @returns {string | null}
 */
export function takeoverText(turn, me, turnOf) {
  const i = turn.interruption;
  if (!i || i.byClient === null || i.byClient === i.client || i.reason === "shutdown") return null;
  const taker = i.byClient === me ? "You" : `Another client (${i.byClient})`;
  const next = i.by ? turnOf(i.by) : undefined;
  const did =
    i.reason === "stop" ? "stopped the answer"
    : next?.user ? `asked “${clip(next.user, 80)}”`
    : next?.mode && next.mode !== "text" ? "started speaking"
    : "asked a question";
  const whose = i.client === me ? "your" : i.client ? `${i.client}'s` : "the";
  const question = turn.user ? ` “${clip(turn.user, 80)}”` : "";
  const heard = turn.heard?.ms ? ` after ${(turn.heard.ms / 1000).toFixed(1)} s of its answer was heard` : " before its answer was heard to the end";
  /** @type {Record<NonNullable<typeof i.outcome>, string>} */
  const what = {
    utterance_dropped: `${whose} utterance was dropped before it was heard`,
    unanswered: `${whose} question${question} was not answered`,
    answer_cut: `${whose} question${question} was cut off${heard}`,
    answered: `${whose} question${question} had already been answered`,
  };
  return `${taker} ${did} — ${what[i.outcome ?? "unanswered"]}.`;
}

/** Most turns drawn (the oldest go first). */
const MAX_TURNS = 60;
/** What a failed stage is called on a chip. */
const FAILED = { stt_error: "recognition failed", llm_error: "model failed", tts_error: "speech failed", tool_error: "tool failed", memory_error: "memory failed" };

export class ConversationView {
  /**
   * @param {HTMLElement} list the <ol> the turns go in
   * @param {(memoryId: string) => string | null} heardFromMemory what a stored memory says was heard of a cut answer, when it is known
   * @param {{ me: () => string | null, turnOf: (id: string) => Turn | undefined }} [who] this page's client id, and the conversation's turns by id (to say who took a turn over)
   */
  constructor(list, heardFromMemory, who = { me: () => null, turnOf: () => undefined }) {
    this.list = list;
    this.heardFromMemory = heardFromMemory;
    this.who = who;
    /** @type {Map<string, Entry>} */
    this.entries = new Map();
    this.run = 0;
  }

  /**
   * The server restarted: later turn ids belong to a new run.
   * @param {string} text what the divider says
   */
  newRun(text) {
    this.run++;
    this.list.append(h("li", { class: "divider" }, text));
    this.#scroll();
  }

  /**
   * Draw a turn of the current run (new, or changed by an event).
   * @param {Turn} turn
   */
  show(turn) {
    const e = this.#entry(turn.id);
    e.mode.textContent = turn.mode ? turn.mode.replace(/_/g, " ") : "";
    this.#user(e, turn);
    this.#chips(e, turn);
    this.#takeover(e, turn);
    this.#assistant(e, turn);
    this.#latency(e, turn);
    this.#scroll();
  }

  /** @param {string} id */
  #entry(id) {
    const key = `${this.run}:${id}`;
    const found = this.entries.get(key);
    if (found) return found;
    const mode = h("span", { class: "mode" });
    const user = h("div", { class: "bubble user partial", hidden: true });
    const chips = h("div", { class: "chips" });
    const takeover = h("p", { class: "takeover", hidden: true });
    const assistant = h("div", { class: "bubble assistant", hidden: true });
    const latency = h("div", { class: "latency-line", hidden: true });
    const li = h("li", { class: "turn", dataset: { turn: id } }, h("div", { class: "head" }, h("span", {}, id), mode), user, chips, takeover, assistant, latency);
    this.list.append(li);
    /** @type {Entry} */
    const entry = { li, mode, user, chips, takeover, assistant, latency, chipsKey: "" };
    this.entries.set(key, entry);
    for (const [oldKey, old] of this.entries) {
      if (this.entries.size <= MAX_TURNS) break;
      old.li.remove();
      this.entries.delete(oldKey);
    }
    return entry;
  }

  /** @param {Entry} e @param {Turn} t */
  #user(e, t) {
    // A spoken turn shows "…" from stt_start until the first words; typed text is known from its recall.
    const text = t.user === null ? (t.mode && t.mode !== "text" && t.status === "running" ? "…" : null) : t.user || "(nothing heard)";
    e.user.hidden = text === null;
    e.user.textContent = text ?? "";
    e.user.classList.toggle("partial", !t.userFinal);
  }

  /** @param {Entry} e @param {Turn} t */
  #chips(e, t) {
    /** @type {[kind: string, title: string, text: string, extra?: string][]} */
    const chips = [];
    if (t.memory.recalled.length) chips.push(["memory", "recalled ", t.memory.recalled.map((x) => clip(x.preview, 60)).join(" · ")]);
    for (const c of t.tools) {
      const args = JSON.stringify(c.arguments ?? {});
      if (c.error) chips.push(["error", `tool ${c.name} failed `, `${c.error.code}: ${c.error.message}`]);
      else chips.push([c.result === null ? "tool" : "tool done", `tool ${c.name}`, `(${clip(args === "{}" || args === "null" ? "" : args, 80)})${c.result === null ? "" : ` → ${clip(c.result, 100)} `}`, c.durationMs === null ? undefined : `(${ms(c.durationMs)})`]);
    }
    for (const x of t.errors) {
      if (x.type === "tool_error") continue; // on its tool's chip
      const title = x.type === "memory_error" && x.operation ? `memory ${x.operation} failed ` : `${FAILED[x.type]} `;
      chips.push(["error", title, `${x.code}: ${x.message}`]);
    }
    if (t.interruption) chips.push(["error", "interrupted ", t.interruption.reason.replace("_", " ")]);
    for (const m of t.memory.stored) chips.push(["memory", `stored ${m.kind}${m.interrupted ? " (as heard)" : ""} `, clip(m.preview, 80)]);
    const key = JSON.stringify(chips);
    if (key === e.chipsKey) return;
    e.chipsKey = key;
    e.chips.replaceChildren(...chips.map(([kind, title, text, extra]) => h("div", { class: `chip ${kind}` }, h("b", {}, title), text, extra ? h("span", { class: "dim" }, extra) : null)));
  }

  /** @param {Entry} e @param {Turn} t */
  #takeover(e, t) {
    const text = takeoverText(t, this.who.me(), this.who.turnOf);
    e.takeover.hidden = text === null;
    e.takeover.textContent = text ?? "";
    e.li.classList.toggle("taken-over", text !== null);
  }

  /** @param {Entry} e @param {Turn} t */
  #assistant(e, t) {
    // A cut answer shows what was heard (and what the server remembers), not what was generated.
    const memory = t.memory.stored.find((m) => m.kind === "turn" && m.interrupted);
    const heard = t.heard?.text || (t.heard && memory ? this.heardFromMemory(memory.id) : null);
    const text = heard ?? t.assistant;
    const cut = t.heard !== null || t.finishReason === "interrupted";
    e.assistant.hidden = !text;
    e.assistant.textContent = text;
    e.assistant.classList.toggle("cut", cut && !!text);
    e.assistant.classList.toggle("streaming", t.status === "running" && t.finishReason === null && !cut && !t.errors.some((x) => x.type === "llm_error"));
    e.assistant.title =
      t.heard?.ms !== null && t.heard?.ms !== undefined ? `heard ${(t.heard.ms / 1000).toFixed(1)} s before the cut`
      : t.heard ? "Not heard to its end (every listener left or stopped early): the server remembers only what was heard"
      : "";
  }

  /** @param {Entry} e @param {Turn} t */
  #latency(e, t) {
    const l = t.latency;
    e.latency.hidden = l === null;
    if (!l) return;
    const after = l.mode === "text" ? "the question" : "the transcript";
    const first = l.input_to_first_audio_ms === null ? "no speech" : `first audio ${ms(l.input_to_first_audio_ms)} after ${after}`;
    e.latency.textContent = `${first} · whole turn ${ms(l.total_ms)}${l.interrupted ? " · interrupted" : ""}`;
  }

  #scroll() {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
