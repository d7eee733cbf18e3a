// The conversation panel: one entry per turn, built from pipeline events.
// Idempotent per event (the client delivers each logged event once), keyed
// by server run + turn id, because turn ids start again after a restart.
import { clip, h, ms } from "./dom.js";

export class Conversation {
  constructor(list) {
    this.list = list;
    this.turns = new Map();
    this.run = 0;
  }

  /** The server restarted: later turn ids belong to a new run. */
  newRun(text) {
    this.run++;
    this.list.append(h("li", { class: "divider" }, text));
    this.#scroll();
  }

  #turn(id, mode) {
    const key = `${this.run}:${id}`;
    let t = this.turns.get(key);
    if (t) return t;
    const head = h("div", { class: "head" }, h("span", {}, id), h("span", { class: "mode" }, mode ?? ""));
    const user = h("div", { class: "bubble user partial", hidden: true });
    const chips = h("div", { class: "chips" });
    const assistant = h("div", { class: "bubble assistant", hidden: true });
    const latency = h("div", { class: "latency-line", hidden: true });
    const li = h("li", { class: "turn", dataset: { turn: id } }, head, user, chips, assistant, latency);
    this.list.append(li);
    t = { li, head, user, chips, assistant, latency, answer: "", tools: new Map() };
    this.turns.set(key, t);
    // Keep the list bounded.
    while (this.turns.size > 60) {
      const [oldKey, old] = this.turns.entries().next().value;
      old.li.remove();
      this.turns.delete(oldKey);
    }
    return t;
  }

  #setUser(t, text, partial) {
    t.user.hidden = false;
    t.user.textContent = text;
    t.user.classList.toggle("partial", partial);
  }

  #chip(t, kind, content) {
    const chip = h("div", { class: `chip ${kind}` }, ...content);
    t.chips.append(chip);
    return chip;
  }

  #scroll() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Apply one protocol event. */
  apply(e) {
    const d = e.data;
    switch (e.type) {
      case "stt_start": {
        const t = this.#turn(d.turn_id, d.mode.replace(/_/g, " "));
        this.#setUser(t, "…", true);
        break;
      }
      case "stt_progress":
        this.#setUser(this.#turn(d.turn_id), d.text, true);
        break;
      case "stt_result":
        this.#setUser(this.#turn(d.turn_id), d.text || "(nothing heard)", false);
        break;
      case "memory_recall": {
        const t = this.#turn(d.turn_id);
        // Typed turns have no transcript events: the recall query is the user's text.
        if (t.user.hidden && d.query) this.#setUser(t, d.query, false);
        if (d.hits.length) this.#chip(t, "memory", [h("b", {}, "recalled "), d.hits.map((x) => clip(x.preview, 60)).join(" · ")]);
        break;
      }
      case "memory_store":
        if (d.turn_id) this.#chip(this.#turn(d.turn_id), "memory", [h("b", {}, `stored ${d.kind}${d.interrupted ? " (as heard)" : ""} `), clip(d.preview, 80)]);
        break;
      case "memory_error":
        if (d.turn_id) this.#chip(this.#turn(d.turn_id), "error", [h("b", {}, `memory ${d.operation} failed `), d.message]);
        break;
      case "tool_call": {
        const t = this.#turn(d.turn_id);
        const args = JSON.stringify(d.arguments ?? {});
        const chip = this.#chip(t, "tool", [h("b", {}, `tool ${d.name}`), `(${clip(args === "{}" ? "" : args, 80)})`]);
        chip.dataset.call = d.call_id;
        t.tools.set(d.call_id, chip);
        break;
      }
      case "tool_result": {
        const t = this.#turn(d.turn_id);
        const chip = t.tools.get(d.call_id) ?? this.#chip(t, "tool", [h("b", {}, `tool ${d.name}`)]);
        chip.append(` → ${clip(d.preview, 100)} `, h("span", { class: "dim" }, `(${ms(d.duration_ms)})`));
        chip.classList.add("done");
        break;
      }
      case "tool_error": {
        const t = this.#turn(d.turn_id);
        this.#chip(t, "error", [h("b", {}, `tool ${d.name} failed `), `${d.code}: ${d.message}`]);
        break;
      }
      case "llm_progress": {
        const t = this.#turn(d.turn_id);
        t.answer += d.delta;
        t.assistant.hidden = false;
        t.assistant.textContent = t.answer;
        t.assistant.classList.add("streaming");
        break;
      }
      case "llm_result": {
        const t = this.#turn(d.turn_id);
        t.answer = d.text;
        t.assistant.hidden = !d.text;
        t.assistant.textContent = d.text;
        t.assistant.classList.remove("streaming");
        t.assistant.classList.toggle("cut", d.finish_reason === "interrupted");
        break;
      }
      case "llm_error": {
        const t = this.#turn(d.turn_id);
        t.assistant.classList.remove("streaming");
        this.#chip(t, "error", [h("b", {}, "model failed "), `${d.code}: ${d.message}`]);
        break;
      }
      case "stt_error":
      case "tts_error": {
        const t = this.#turn(d.turn_id);
        this.#chip(t, "error", [h("b", {}, e.type === "stt_error" ? "recognition failed " : "speech failed "), `${d.code}: ${d.message}`]);
        break;
      }
      case "turn_interrupted": {
        const t = this.#turn(d.turn_id);
        t.assistant.classList.remove("streaming");
        // What was heard is what the assistant said (and what it remembers); the unspoken rest is not shown.
        if (d.heard_text) {
          t.assistant.hidden = false;
          t.assistant.textContent = d.heard_text;
          t.assistant.classList.add("cut");
          t.assistant.title = `heard ${(d.heard_ms / 1000).toFixed(1)} s before the cut`;
        }
        this.#chip(t, "error", [h("b", {}, "interrupted "), d.reason.replace("_", " ")]);
        break;
      }
      case "latency_trace": {
        const t = this.#turn(d.turn_id, d.mode);
        t.head.querySelector(".mode").textContent = d.mode.replace(/_/g, " ");
        t.latency.hidden = false;
        t.latency.textContent = `first audio ${ms(d.input_to_first_audio_ms)} · total ${ms(d.total_ms)}${d.interrupted ? " · interrupted" : ""}`;
        break;
      }
      default:
        return;
    }
    this.#scroll();
  }
}
