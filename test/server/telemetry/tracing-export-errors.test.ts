/**
 * A trace export that fails is logged (it used to vanish: the SDK reports it
 * to an error handler nobody set): one warning naming the collector, the
 * HTTP status and the collector's answer, with credentials kept out of it:
 * neither the endpoint's user:password nor its query, nor an exporter
 * header's value (OTEL_EXPORTER_OTLP_HEADERS), even when the collector
 * echoes it back. Later failures of the same outage are not logged one by
 * one; a recovery says how many exports were lost. A failed last export
 * does not make stop() fail (it used to reject with the exporter's error).
 */
import { describe, expect, it } from "vitest";
import { createCodaServer, type CodaServer as App } from "../../../server/app/app.js";
import { loadConfig } from "../../../server/app/config.js";
import type { LogFields, Logger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { useHttpServers } from "../../helpers/http-server.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { until } from "../../helpers/wait.js";

const cleanups = useCleanup();
const startHttp = useHttpServers();

const HEADER_SECRET = "hdr-8f1c2e9a7b";
const URL_PASSWORD = "pw-5d3a9c1e";
const QUERY_KEY = "qk-2b7e4f0a";

function recorder(): Logger & { lines: { level: string; message: string; fields: LogFields | undefined }[] } {
  const lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => void lines.push({ level, message, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

async function app(endpoint: string, logger: Logger): Promise<App> {
  const { config } = loadConfig(
    ["--host", "127.0.0.1", "--port", "0", "--memory-db", "off", "--stt-engine", "none", "--llm-engine", "builtin", "--tts-engine", "none", "--vad", "off", "--tracing", "--tracing-endpoint", endpoint],
    {},
  );
  const previous = process.env.OTEL_EXPORTER_OTLP_HEADERS;
  process.env.OTEL_EXPORTER_OTLP_HEADERS = `authorization=Bearer ${HEADER_SECRET},x-tenant=coda`;
  try {
    const a = await createCodaServer({ ...config, logger });
    // Stopped by the test (which flushes the spans) or, if it failed first, after it; once either way.
    let stopped: Promise<void> | undefined;
    const stop = () => (stopped ??= a.stop());
    cleanups.push(stop);
    return { ...a, stop };
  } finally {
    if (previous === undefined) delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    else process.env.OTEL_EXPORTER_OTLP_HEADERS = previous;
  }
}

async function demoTurn(a: App, text: string): Promise<void> {
  const c = await TestClient.connect(`ws://127.0.0.1:${a.server.port}`);
  cleanups.push(() => c.close());
  await c.waitForType("replay");
  const from = c.messages.length;
  c.send({ type: "demo_flow", data: { text } });
  await c.waitFor((m) => m.type === "latency_trace", { from, timeoutMs: 30_000 });
  await c.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { from, timeoutMs: 15_000 });
}

describe("failed trace exports", () => {
  it("are logged once per outage with the collector, the status and its answer, and no credentials", async () => {
    const collector = await startHttp((req, res) => {
      // A collector that refuses the batch and quotes what it was sent, credentials included.
      const body = JSON.stringify({ code: 3, message: `rejected batch from ${req.headers.authorization} to ${req.path}` });
      res.writeHead(400, { "content-type": "application/json" }).end(body);
    });
    const port = new URL(collector.url).port;
    const endpoint = `http://coda:${URL_PASSWORD}@127.0.0.1:${port}/v1/traces?key=${QUERY_KEY}`;
    const logger = recorder();
    const a = await app(endpoint, logger);
    await demoTurn(a, "what is 12 times 7");
    await demoTurn(a, "what is 2 plus 2");
    await a.stop(); // flushes: both turns' spans are exported (and refused) by now

    expect(collector.requests.length).toBeGreaterThanOrEqual(1);
    // The exporter did send the credentials: what follows proves the log does not repeat them.
    expect(collector.requests[0]!.headers.authorization).toBe(`Bearer ${HEADER_SECRET}`);
    const failures = logger.lines.filter((l) => l.message === "trace export failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]!.level).toBe("warn");
    expect(failures[0]!.fields).toMatchObject({
      endpoint: `http://127.0.0.1:${port}/v1/traces`,
      status: 400,
      spans: expect.any(Number),
      error: "Bad Request",
      response: expect.stringContaining("rejected batch from"),
    });
    const written = JSON.stringify(logger.lines);
    for (const secret of [HEADER_SECRET, URL_PASSWORD, QUERY_KEY]) expect(written).not.toContain(secret);
  }, 90_000);

  it("says when exports work again, and how many failed", async () => {
    let refuse = true;
    const collector = await startHttp((_req, res) => {
      if (refuse) res.writeHead(400, { "content-type": "application/json" }).end('{"code":3,"message":"not now"}');
      else res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    const logger = recorder();
    const a = await app(`${collector.url}/v1/traces`, logger);
    await demoTurn(a, "what is 12 times 7");
    // The refused batch is exported when the turn ends (or at the latest at stop); wait for it.
    await until(() => logger.lines.some((l) => l.message === "trace export failed"), "the failed export to be logged", 20_000);
    refuse = false;
    await demoTurn(a, "what is 2 plus 2");
    await a.stop();
    const recovered = logger.lines.filter((l) => l.message === "trace export recovered");
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.fields).toMatchObject({ endpoint: `${collector.url}/v1/traces`, failed: expect.any(Number) });
    expect(recovered[0]!.fields!.failed).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
