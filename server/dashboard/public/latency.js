// Per-turn latency chart (inline SVG) from latency_trace events: how long the
// user waited for the answer to start, and where that time went. Each row is
// one turn's `input_to_first_audio_ms` (from the final transcript, or the
// typed question, to the first synthesised audio; docs/latency.md), split
// into the stages on the way: memory recall, the model to its first token,
// tools, synthesis of the first audio, and the rest (the model finishing its
// first sentence, orchestration). Not drawn: the time spent listening
// (`stt_ms` includes the time the user spoke or held the button) and the
// time the answer played (`total_ms`): both are in each row's tooltip.
//
// Scale: one slow turn must not squash the others, so the scale ends at
// three times the median wait (or the slowest, if less); a longer bar is cut
// at the edge with a break mark and keeps its real figure as its label.
import { h, ms, s } from "./dom.js";

/** @typedef {import("/dashboard/client.js").EventData<"latency_trace">} Trace */
/** @typedef {"memory_ms" | "llm_first_token_ms" | "tool_ms" | "tts_first_audio_ms"} StageField */

/** @type {[key: string, field: StageField, name: string][]} */
const STAGES = [
  ["memory", "memory_ms", "memory recall"],
  ["llm", "llm_first_token_ms", "model, first token"],
  ["tool", "tool_ms", "tools"],
  ["tts", "tts_first_audio_ms", "synthesis, first audio"],
];
const MAX_ROWS = 8;
/** The scale ends at this many times the median wait. */
const SPREAD = 3;

/**
 * The wait a row shows: to the first audio, or (no speech) the stages that ran.
 * @param {Trace} t
 */
function waitOf(t) {
  return t.input_to_first_audio_ms ?? STAGES.reduce((sum, [, field]) => sum + (t[field] ?? 0), 0);
}

/**
 * Where the scale ends for these waits.
 * @param {number[]} waits
 */
export function scaleEnd(waits) {
  if (!waits.length) return 1;
  const sorted = [...waits].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] ?? 0 : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return Math.max(1, Math.min(sorted.at(-1) ?? 0, SPREAD * median));
}

export class LatencyChart {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    /** @type {Trace[]} */
    this.rows = [];
  }

  /** @param {Trace} trace */
  add(trace) {
    this.rows.push(trace);
    if (this.rows.length > MAX_ROWS) this.rows.shift();
    this.render();
  }

  render() {
    const W = 520, rowH = 22, left = 30, right = 64, top = 6;
    const H = top + this.rows.length * rowH + 18;
    const end = scaleEnd(this.rows.map(waitOf));
    const plot = W - left - right;
    /** @param {number} v */
    const x = (v) => left + (Math.min(v, end) / end) * plot;
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Wait for the first audio per turn, by stage" });
    this.rows.forEach((trace, i) => {
      const y = top + i * rowH;
      const wait = waitOf(trace);
      const clipped = wait > end;
      const g = s("g", { class: `row${clipped ? " clipped" : ""}`, "data-turn": trace.turn_id, "data-wait": wait });
      g.append(s("title", {}, describe(trace)));
      g.append(s("text", { class: "row-label", x: 0, y: y + 14 }, trace.turn_id));
      let at = 0;
      for (const [key, field] of STAGES) {
        const v = Math.min(trace[field] ?? 0, wait - at);
        if (v <= 0) continue;
        g.append(s("rect", { class: `seg seg-${key}`, x: x(at), y: y + 3, width: Math.max(1.5, x(at + v) - x(at)), height: rowH - 8, rx: 2 }));
        at += v;
      }
      if (wait > at) g.append(s("rect", { class: "seg seg-rest", x: x(at), y: y + 3, width: Math.max(1.5, x(wait) - x(at)), height: rowH - 8, rx: 2 }));
      if (clipped) g.append(s("path", { class: "break", d: `M${x(end) - 7},${y + rowH - 3} l5,-${rowH - 4} M${x(end) - 3},${y + rowH - 3} l5,-${rowH - 4}` }));
      const label = trace.input_to_first_audio_ms === null ? `${ms(wait)} · no speech` : ms(wait);
      g.append(s("text", { class: "turn-total", x: x(wait) + 6, y: y + 14 }, label));
      svg.append(g);
    });
    svg.append(s("text", { class: "axis", x: left, y: H - 4 }, "0"));
    svg.append(s("text", { class: "axis", x: left + plot, y: H - 4, "text-anchor": "end" }, ms(end)));
    const legend = h(
      "div",
      { class: "legend" },
      ...STAGES.map(([key, , name]) => h("span", {}, h("i", { class: `k-${key}` }), name)),
      h("span", {}, h("i", { class: "k-rest" }), "rest (model finishing its first sentence, orchestration)"),
    );
    this.el.replaceChildren(svg, legend);
  }
}

/**
 * A row's tooltip: every figure, with what each means.
 * @param {Trace} t
 */
function describe(t) {
  const heard = t.mode === "text" ? "the typed question" : "the final transcript";
  return [
    `${t.turn_id} (${t.mode.replace(/_/g, " ")})${t.interrupted ? ", interrupted" : ""}`,
    `${heard} → first audio: ${ms(t.input_to_first_audio_ms)}`,
    ...STAGES.map(([, field, name]) => `  ${name}: ${ms(t[field])}`),
    `listening: ${ms(t.stt_ms)} (includes the time the user spoke)`,
    `model in all: ${ms(t.llm_total_ms)} · synthesis in all: ${ms(t.tts_total_ms)}`,
    `whole turn: ${ms(t.total_ms)} (includes playing the answer)`,
  ].join("\n");
}
