/**
 * Minimal structured logger. Messages are static text; details go in fields
 * (never user speech or memory contents).
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

function format(level: string, message: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level} ${message}`;
  if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : v}`;
  return line;
}

/** Writes lines to stderr; `info` only when `verbose`. */
export function createStderrLogger({ verbose = false } = {}): Logger {
  return {
    info: (m, f) => verbose && process.stderr.write(format("INFO", m, f) + "\n"),
    warn: (m, f) => process.stderr.write(format("WARN", m, f) + "\n"),
    error: (m, f) => process.stderr.write(format("ERROR", m, f) + "\n"),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
