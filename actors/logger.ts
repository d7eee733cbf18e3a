/**
 * The one logger shape every part of Coda accepts: engines, the bridge, the
 * WebSocket server, the CLI. Messages are static text; details go in fields,
 * and fields never carry user speech, memory contents or secrets.
 *
 * This module imports nothing, so stages and the server can both depend on
 * it. server/app/logger.ts builds the pino-backed implementation (JSON lines or
 * readable lines, a level from the settings, redaction of sensitive keys);
 * any object with these methods will do, e.g. in tests.
 *
 * @example
 * logger.warn("closing slow client", { client: "c3", buffered: 4_200_000 });
 */

/** Field values of one log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Structured logger: a static message and fields apart. `debug` is optional for hand-written loggers. */
export interface Logger {
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
