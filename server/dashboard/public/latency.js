// Per-turn latency chart (inline SVG) from latency_trace events. Each row is
// one turn: the stages on the way to the first audio, laid end to end in the
// order they run (speech recognition, memory recall, model to first token,
// tools, synthesis to first audio), then a line to the turn's total. Stages
// overlap a little in a pipelined turn, so the bar is the breakdown of each
// stage's own time, not an exact timeline.
import { h, ms, s } from "./dom.js";

const STAGES = [
  ["stt", "stt_ms", "speech recognition"],
  ["memory", "memory_ms", "memory recall"],
  ["llm", "llm_first_token_ms", "model, first token"],
  ["tool", "tool_ms", "tools"],
  ["tts", "tts_first_audio_ms", "synthesis, first audio"],
];
const MAX_ROWS = 8;

export class LatencyChart {
  constructor(el) {
    this.el = el;
    this.rows = [];
  }

  add(trace, label) {
    this.rows.push({ trace, label });
    if (this.rows.length > MAX_ROWS) this.rows.shift();
    this.render();
  }

  render() {
    const W = 520, rowH = 22, left = 54, right = 70, top = 6;
    const H = top + this.rows.length * rowH + 18;
    const max = Math.max(1, ...this.rows.map((r) => r.trace.total_ms));
    const x = (v) => left + (v / max) * (W - left - right);
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Latency per turn by stage" });
    this.rows.forEach(({ trace, label }, i) => {
      const y = top + i * rowH;
      const g = s("g", { class: "row", "data-turn": trace.turn_id });
      g.append(s("text", { class: "row-label", x: 0, y: y + 14 }, label));
      let at = 0;
      for (const [key, field, name] of STAGES) {
        const v = trace[field];
        if (v === null || v <= 0) continue;
        const rect = s("rect", { class: `seg-${key}`, x: x(at), y: y + 3, width: Math.max(1.5, x(at + v) - x(at)), height: rowH - 8, rx: 2 });
        rect.append(s("title", {}, `${name}: ${ms(v)}`));
        g.append(rect);
        at += v;
      }
      if (trace.total_ms > at) g.append(s("line", { class: "tail", x1: x(at), x2: x(trace.total_ms), y1: y + rowH / 2 - 1, y2: y + rowH / 2 - 1 }));
      g.append(s("text", { class: "turn-total", x: x(trace.total_ms) + 6, y: y + 14 }, ms(trace.total_ms)));
      svg.append(g);
    });
    svg.append(s("text", { class: "axis", x: left, y: H - 4 }, "0"));
    svg.append(s("text", { class: "axis", x: W - right, y: H - 4, "text-anchor": "end" }, ms(max)));
    const legend = h("div", { class: "legend" }, ...STAGES.map(([key, , name]) => h("span", {}, h("i", { class: `k-${key}` }), name)), h("span", {}, "— rest of the turn"));
    this.el.replaceChildren(svg, legend);
  }
}
