#!/usr/bin/env node
/**
 * Command-line entry point: `npm start -- [options]`. Reads the settings
 * (flags, environment, config file), runs `createCodaServer` with them,
 * prints one line with the ws:// URL and stops gracefully on SIGINT/SIGTERM
 * (clients get 1001, exit code 0), and, when npm started it, when npm goes away.
 *
 * Errors nobody caught follow the process policy (server/app/process-errors.ts):
 * a tool's are its `tool_error` or a log line, other unhandled rejections are
 * logged, and an uncaught exception no tool owns stops the server gracefully
 * (within FATAL_STOP_MS) with exit code 1.
 */
import { AppConfigError, createCodaServer, loggerFor, type CodaServer } from "./app.js";
import { ConfigError, helpText, loadConfig } from "./config.js";
import { watchParent } from "./parent-watch.js";
import { installProcessErrorPolicy } from "./process-errors.js";
import { SERVER_VERSION } from "../transport/version.js";

/** How long a stop after an uncaught exception may take before the process exits anyway (ms). */
const FATAL_STOP_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`coda-core: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (loaded.help) {
    process.stdout.write(helpText());
    return 0;
  }
  const { config } = loaded;
  const logger = loggerFor(config);
  /** Set once serving: stop the server and exit with `code`. */
  let stopWith: ((code: number, why: string) => void) | undefined;
  // Installed before start-up, so that tool modules' top-level errors are covered too.
  installProcessErrorPolicy({
    logger,
    onFatal: () => {
      if (stopWith) stopWith(1, "uncaught exception");
      else process.exit(1);
    },
  });
  let coda: CodaServer;
  try {
    coda = await createCodaServer({ ...config, logger });
  } catch (err) {
    if (err instanceof AppConfigError || err instanceof TypeError) {
      process.stderr.write(`coda-core: ${err.message}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.code !== "string" || typeof e.syscall !== "string") throw err;
    const hint = e.code === "EADDRINUSE" ? ` (port ${config.port} is in use; pick another with --port or CODA_PORT, or --port 0)` : "";
    process.stderr.write(`coda-core: cannot listen on ${config.host}:${config.port}: ${e.message}${hint}\n`);
    return 1;
  }
  const summary = Object.entries(coda.pipeline.engines()).map(([stage, name]) => `${stage}: ${name}`).join(", ");
  process.stdout.write(`Coda Core ${SERVER_VERSION} listening on ${coda.url} (${summary})\n`);
  for (const line of coda.descriptions) process.stderr.write(`  ${line}\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    stopWith = (code, why) => {
      if (stopping) {
        process.stderr.write(`coda-core: ${why} again, exiting now\n`);
        resolve(1);
        return;
      }
      stopping = true;
      logger.info("stopping", { reason: why });
      // After an uncaught exception the state is unknown: the stop gets a deadline.
      const deadline = code === 0 ? undefined : setTimeout(() => resolve(code), FATAL_STOP_MS);
      coda.stop().then(
        () => {
          clearTimeout(deadline);
          resolve(code);
        },
        (err: unknown) => {
          logger.error("stop failed", { error: String(err) });
          resolve(1);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals) => stopWith!(0, signal);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // Under `npm start`, a SIGTERM to npm ends npm and its shell but not us: leave with them.
    if (process.env.npm_lifecycle_event !== undefined) {
      watchParent(() => {
        if (!stopping) onSignal("SIGTERM");
      });
    }
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`coda-core: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
