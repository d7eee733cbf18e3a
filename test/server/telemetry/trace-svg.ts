/**
 * Draws one trace, as a collector received it, as an SVG waterfall: one row
 * per span (root first, children by start time), bars on a shared
 * millisecond axis, the key attribute of each span beside its name. Used by
 * write-trace-picture.ts for docs/operations.md.
 */
import type { CollectedSpan } from "../../helpers/otlp-collector.js";

const COLORS: [RegExp, string][] = [
  [/^turn$/, "#6b7280"],
  [/^stt$/, "#2563eb"],
  [/^memory/, "#7c3aed"],
  [/^chat /, "#059669"],
  [/^execute_tool /, "#d97706"],
  [/^tts$/, "#dc2626"],
];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const ms = (v: unknown) => (typeof v === "number" ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : "");

function note(s: CollectedSpan): string {
  const a = s.attributes;
  if (s.name === "turn") return `turn ${a["coda.turn.id"]} (${a["coda.turn.mode"]}), input→first audio ${ms(a["coda.latency.input_to_first_audio_ms"])}`;
  if (s.name === "stt") return `${a["coda.stt.engine"]}, ${a["coda.stt.chars"]} chars`;
  if (s.name.startsWith("memory")) return `${a["coda.memory.hits"] ?? 0} hits`;
  if (s.name.startsWith("chat ")) return `round ${a["coda.llm.round"]}, first token ${ms(a["coda.llm.first_token_ms"])}, ${(a["gen_ai.response.finish_reasons"] as string[] | undefined)?.join(",") ?? ""}`;
  if (s.name.startsWith("execute_tool ")) return `${a["gen_ai.tool.call.id"]}`;
  if (s.name === "tts") return `${a["coda.tts.engine"]}, first audio ${ms(a["coda.tts.first_audio_ms"])}, ${a["coda.tts.sentences"]} sentences`;
  return "";
}

/** The SVG text of the trace whose root is `root`. */
export function traceSvg(spans: CollectedSpan[], root: CollectedSpan): string {
  const rows = [root, ...spans.filter((s) => s.traceId === root.traceId && s !== root).sort((a, b) => a.startMs - b.startMs)];
  const total = Math.max(1, root.endMs - root.startMs);
  const left = 330;
  const width = 1000;
  const plot = width - left - 20;
  const rowH = 34;
  const top = 40;
  const height = top + rows.length * rowH + 40;
  const x = (t: number) => left + ((t - root.startMs) / total) * plot;
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].find((s) => total / s <= 8) ?? 10_000;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="22" font-size="14" font-weight="bold">One turn's trace (${rows.length} spans, ${Math.round(total)} ms), as received by an OTLP/HTTP collector</text>`);
  for (let t = 0; t <= total; t += step) {
    const px = x(root.startMs + t);
    out.push(`<line x1="${px}" y1="${top - 6}" x2="${px}" y2="${height - 30}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${px}" y="${height - 14}" text-anchor="middle" fill="#6b7280">${t} ms</text>`);
  }
  rows.forEach((s, i) => {
    const y = top + i * rowH;
    const color = COLORS.find(([re]) => re.test(s.name))?.[1] ?? "#374151";
    const indent = s === root ? 0 : 14;
    out.push(`<text x="${12 + indent}" y="${y + 14}" font-weight="${s === root ? "bold" : "normal"}">${esc(s.name)}</text>`);
    out.push(`<text x="${12 + indent}" y="${y + 27}" fill="#6b7280" font-size="10">${esc(note(s))}</text>`);
    const x0 = x(s.startMs);
    const w = Math.max(2, x(s.endMs) - x0);
    out.push(`<rect x="${x0}" y="${y + 5}" width="${w}" height="18" rx="3" fill="${color}"${s.statusCode === 2 ? ' stroke="#000" stroke-dasharray="3 2"' : ""}/>`);
    const label = `${(s.endMs - s.startMs).toFixed(1)} ms`;
    const inside = w > 70;
    out.push(`<text x="${inside ? x0 + 6 : x0 + w + 6}" y="${y + 18}" fill="${inside ? "#ffffff" : "#111827"}">${label}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
