#!/usr/bin/env node
/**
 * Command-line entry point: `npm start -- [options]`. Reads the
 * configuration, starts the server, prints one line with the ws:// URL and
 * stops gracefully on SIGINT/SIGTERM (clients get 1001, exit code 0), and,
 * when npm started it, when npm goes away.
 */
import { AppConfigError, createApp, type App } from "./app.js";
import { ConfigError, helpText, loadConfig } from "./config.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "./logger.js";
import { watchParent } from "./parent-watch.js";
import { SERVER_VERSION } from "./version.js";

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
  const configured = (config.logLevel ?? "warn") as LogLevel;
  // --verbose lowers the level to info; it never hides what --log-level asked for.
  const level = config.verbose === true && LOG_LEVELS.indexOf(configured) > LOG_LEVELS.indexOf("info") ? "info" : configured;
  const env = process.env;
  const logger = createLogger({ level, secrets: [config.token as string | undefined, env.CODA_OPENAI_API_KEY, env.OPENAI_API_KEY, env.CODA_STT_API_KEY, env.CODA_TTS_API_KEY] });
  let app: App;
  try {
    app = await createApp(config, { logger });
  } catch (err) {
    if (err instanceof AppConfigError || err instanceof TypeError) {
      process.stderr.write(`coda-core: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { server } = app;
  try {
    await server.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === "EADDRINUSE" ? ` (port ${config.port} is in use; pick another with --port or CODA_PORT, or --port 0)` : "";
    process.stderr.write(`coda-core: cannot listen on ${config.host}:${config.port}: ${e.message}${hint}\n`);
    await app.stop();
    return 1;
  }
  const engines = app.bridge.engines();
  const summary = Object.entries(engines).map(([stage, name]) => `${stage}: ${name}`).join(", ");
  process.stdout.write(`Coda Core ${SERVER_VERSION} listening on ${server.url} (${summary})\n`);
  for (const line of app.descriptions) process.stderr.write(`  ${line}\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`coda-core: ${signal} again, exiting now\n`);
        resolve(1);
        return;
      }
      stopping = true;
      logger.info("stopping", { signal });
      app.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error("stop failed", { error: String(err) });
          resolve(1);
        },
      );
    };
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
