/**
 * Readable log lines for a terminal: pino writes one JSON object per line;
 * this turns it into `12:34:56.789 WARN  closing slow client client=c3 buffered=4200000`.
 * Only the presentation changes: the same fields, already redacted.
 */

const LEVEL_NAMES: Record<string, string> = { debug: "DEBUG", info: "INFO ", warn: "WARN ", error: "ERROR", fatal: "FATAL", trace: "TRACE" };
const OMIT = new Set(["level", "time", "msg", "pid", "hostname"]);

/** One pino JSON line (with its trailing newline) as a readable line; a line that is not JSON passes through. */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === "string" ? entry.time.slice(11, 23) : "";
  let out = `${time} ${LEVEL_NAMES[String(entry.level)] ?? String(entry.level)} ${String(entry.msg ?? "")}`;
  for (const [k, v] of Object.entries(entry)) {
    if (OMIT.has(k) || v === undefined) continue;
    const text = typeof v === "string" ? (/[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v) : JSON.stringify(v);
    out += ` ${k}=${text}`;
  }
  return out + "\n";
}
