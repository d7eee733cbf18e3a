#!/usr/bin/env node
/**
 * Command-line entry point: `npm start -- [options]`. Reads the
 * configuration, starts the server, prints one line with the ws:// URL and
 * stops gracefully on SIGINT/SIGTERM (clients get 1001, exit code 0).
 */
import { ConfigError, helpText, loadConfig, type Config } from "./config.js";
import { createStderrLogger } from "./logger.js";
import { WebSocketServer } from "./server.js";
import { SERVER_VERSION } from "./version.js";

function serverOptions(config: Config) {
  return {
    host: config.host as string,
    port: config.port as number,
    replaySize: config.replaySize as number,
    allowedOrigins: config.allowedOrigins as string[],
    allowedHosts: config.allowedHosts as string[],
    maxFrameBytes: config.maxFrameBytes as number,
    maxCommandBytes: config.maxCommandBytes as number,
    maxBufferedBytes: config.maxBufferedBytes as number,
    maxClients: config.maxClients as number,
    heartbeatMs: config.heartbeatMs as number,
    ratePerSecond: config.ratePerSecond as number,
    rateBurst: config.rateBurst as number,
    ...(config.token ? { token: config.token as string } : {}),
  };
}

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
  const logger = createStderrLogger({ verbose: config.verbose === true });
  let server: WebSocketServer;
  try {
    server = new WebSocketServer({ ...serverOptions(config), logger });
  } catch (err) {
    process.stderr.write(`coda-core: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    await server.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === "EADDRINUSE" ? ` (port ${config.port} is in use; pick another with --port or CODA_PORT, or --port 0)` : "";
    process.stderr.write(`coda-core: cannot listen on ${config.host}:${config.port}: ${e.message}${hint}\n`);
    return 1;
  }
  process.stdout.write(`Coda Core ${SERVER_VERSION} listening on ${server.url}\n`);

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
      server.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error("stop failed", { error: String(err) });
          resolve(1);
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`coda-core: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
