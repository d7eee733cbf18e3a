/**
 * The pino-backed Logger (the shape is in actors/logger.ts): JSON lines on
 * stderr when stderr is not a terminal (for a log pipeline), readable lines
 * on a terminal (server/app/log-format.ts), a level from the settings.
 *
 * The rules of what may be logged are enforced twice: call sites log static
 * messages with details in fields and never user speech, memory contents or
 * secrets; and this logger redacts, whatever a call site passes, the fields
 * whose names carry such content (REDACTED_KEYS) and any occurrence of a
 * configured secret (the token, API keys) in a field's value.
 */
import { createRequire } from "node:module";
import type pinoModule from "pino";
import { silentLogger, type LogFields, type Logger } from "../../actors/logger.js";
import { formatLogLine } from "./log-format.js";

export { silentLogger, type LogFields, type Logger };

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Field names whose values are replaced by "[redacted]": speech, model text, memory text, secrets. */
export const REDACTED_KEYS = [
  "text",
  "transcript",
  "query",
  "delta",
  "preview",
  "content",
  "arguments",
  "prompt",
  "memory",
  "token",
  "apiKey",
  "api_key",
  "authorization",
  "password",
  "secret",
] as const;

export const REDACTED = "[redacted]";

export interface LoggerOptions {
  /** Lowest level written. Default "warn". */
  level?: LogLevel;
  /** Readable lines instead of JSON. Default: whether stderr is a terminal. */
  pretty?: boolean;
  /** Values never to be written (the token, API keys): replaced by "[redacted]" wherever they occur in a field. */
  secrets?: readonly (string | undefined)[];
  /** Where lines go. Default: stderr, written synchronously (nothing is lost when the process exits). */
  destination?: { write(line: string): void };
}

/**
 * A Logger writing through pino.
 * @example
 * const logger = createLogger({ level: "info", secrets: [config.token] });
 * logger.info("client connected", { client: "c1", clients: 3 });
 * // {"level":"info","time":"2026-11-30T01:02:03.456Z","pid":4242,"hostname":"kiosk","client":"c1","clients":3,"msg":"client connected"}
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  // pino is loaded with the first logger rather than with coda-core.
  const pino = createRequire(import.meta.url)("pino") as typeof pinoModule;
  const level = options.level ?? "warn";
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === "string" && s.length >= 4);
  const sink = options.destination ?? (pretty ? { write: (line: string) => void process.stderr.write(line) } : pino.destination({ dest: 2, sync: true }));
  const destination = pretty ? { write: (line: string) => sink.write(formatLogLine(line)) } : sink;
  const p = pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_KEYS], censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        log: secrets.length ? (fields) => scrubSecrets(fields, secrets) : (fields) => fields,
      },
    },
    destination,
  );
  const write = (lvl: "debug" | "info" | "warn" | "error") => (message: string, fields?: LogFields) => {
    if (fields) p[lvl](fields, message);
    else p[lvl](message);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** Replace every occurrence of a secret in string fields (an error message may quote a header or a URL). */
function scrubSecrets(fields: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v !== "string") continue;
    let s = v;
    for (const secret of secrets) if (s.includes(secret)) s = s.split(secret).join(REDACTED);
    if (s !== v) (out ??= { ...fields })[k] = s;
  }
  return out ?? fields;
}
