/**
 * OpenTelemetry tracing of turns, off by default. It switches on with the
 * `tracing` setting or the standard environment variables
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and
 * off again with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Spans
 * go over OTLP/HTTP (JSON) through a batch processor, so a turn costs a few
 * object allocations on the event path and the export happens later, off
 * the hot path. The exporter itself reads the other OTEL_EXPORTER_OTLP_*
 * variables (headers, timeout); OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES name the service.
 *
 * Uses a provider of its own (no global registration), so an embedding
 * application's own OpenTelemetry setup is left alone. A failed export is
 * logged (the SDK would only hand it to a global error handler): one warning
 * when an outage starts, naming the collector (without credentials), the
 * HTTP status and the collector's answer, with the exporter's header values
 * and the URL's password and query scrubbed from them; an info line when
 * exports work again, with how many failed. docs/operations.md.
 */
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from "@opentelemetry/sdk-trace";
import type { Logger } from "../../actors/logger.js";
import type { EventInput } from "../protocol/index.js";
import { SERVER_VERSION } from "../transport/version.js";
import { TurnSpans } from "./turn-spans.js";

export { tracesUrl, tracingEnabled, type TracingSettings } from "./tracing-settings.js";
import { tracesUrl, type TracingSettings } from "./tracing-settings.js";

export interface Tracing {
  /** Feed one pipeline event of session `session` (default: the default session; subscribe this to each session's pipeline). */
  observe(event: EventInput, session?: string): void;
  /** End open turns, export what is pending, stop. */
  close(): Promise<void>;
}

export interface StartTracingOptions extends TracingSettings {
  /** Export here instead of OTLP/HTTP (tests, benchmarks). */
  exporter?: SpanExporter;
  /** Batch delay (ms); default OTEL_BSP_SCHEDULE_DELAY or 5000. */
  scheduledDelayMillis?: number;
  /** Where failed exports are reported. Default: nowhere. */
  logger?: Logger;
}

/**
 * Start a tracer provider exporting over OTLP/HTTP and return the turn observer.
 * @example
 * const tracing = startTracing({ tracingEndpoint: "http://127.0.0.1:4318/v1/traces" });
 * const unsubscribe = pipeline.subscribe((e) => tracing.observe(e));
 * // on stop: unsubscribe(); await tracing.close();
 */
export function startTracing(options: StartTracingOptions = {}, env: NodeJS.ProcessEnv = process.env): Tracing {
  const inner = options.exporter ?? new OTLPTraceExporter(options.tracingEndpoint ? { url: options.tracingEndpoint } : {});
  const exporter = new ReportingExporter(inner, tracesUrl(options, env), exporterSecrets(options, env), options.logger);
  const resource = resourceFromAttributes({ "service.name": "coda-core", "service.version": SERVER_VERSION }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter, ...(options.scheduledDelayMillis !== undefined ? { scheduledDelayMillis: options.scheduledDelayMillis } : {}) })],
  });
  const spans = new TurnSpans(provider.getTracer("coda-core", SERVER_VERSION), { content: options.tracingContent === true });
  let closed = false;
  return {
    observe(event, session) {
      if (!closed) spans.record(event, session);
    },
    async close() {
      if (closed) return;
      closed = true;
      spans.endAll();
      // The last flush may fail like any export: it is logged, and stopping goes on.
      await provider.shutdown().catch((err: unknown) => exporter.shutdownFailed(err));
    },
  };
}

type ExportCallback = Parameters<SpanExporter["export"]>[1];
type ExportResult = Parameters<ExportCallback>[0];
/** ExportResultCode.SUCCESS of @opentelemetry/core. */
const EXPORT_SUCCESS = 0;
const MAX_LOGGED_CHARS = 200;

/** Values that must not be logged: the exporter's header values (and their last word: a Bearer token), the URL's credentials and query values. */
function exporterSecrets(options: TracingSettings, env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const list of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    for (const pair of (list ?? "").split(",")) {
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      let value = pair.slice(eq + 1).trim();
      try {
        value = decodeURIComponent(value);
      } catch {
        // kept as written
      }
      secrets.push(value, value.split(/\s+/).at(-1)!);
    }
  }
  try {
    const url = new URL(tracesUrl(options, env));
    secrets.push(decodeURIComponent(url.username), decodeURIComponent(url.password), ...[...url.searchParams.values()]);
  } catch {
    // not a URL: the exporter reports that itself
  }
  // Longest first, so a value is scrubbed whole before any part of it; short ones would scrub ordinary words.
  return [...new Set(secrets.filter((v) => v.length >= 4))].sort((a, b) => b.length - a.length);
}

/** The collector's address for a log line: no user, password, query or fragment. */
function loggableEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

/** The exporter of the provider, reporting failed exports to the logger (at most one warning per outage). */
class ReportingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #endpoint: string;
  readonly #secrets: string[];
  readonly #logger: Logger | undefined;
  /** Exports failed since the last success. */
  #failing = 0;

  constructor(inner: SpanExporter, endpoint: string, secrets: string[], logger: Logger | undefined) {
    this.#inner = inner;
    this.#endpoint = loggableEndpoint(endpoint);
    this.#secrets = secrets;
    this.#logger = logger;
  }

  export(spans: Parameters<SpanExporter["export"]>[0], done: ExportCallback): void {
    this.#inner.export(spans, (result) => {
      this.#exportOnResult(result, spans.length);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }

  /** The provider's shutdown rejected: already reported when it was a failed export, else reported now. */
  shutdownFailed(err: unknown): void {
    if (this.#failing === 0) this.#logger?.warn("tracing shutdown failed", { endpoint: this.#endpoint, error: this.#scrub(String((err as Error)?.message ?? err)) });
  }

  #exportOnResult(result: ExportResult, spans: number): void {
    if (result.code === EXPORT_SUCCESS) {
      if (this.#failing > 0) this.#logger?.info("trace export recovered", { endpoint: this.#endpoint, failed: this.#failing });
      this.#failing = 0;
      return;
    }
    if (this.#failing++ > 0) return;
    const error = result.error as (Error & { code?: unknown; data?: unknown }) | undefined;
    this.#logger?.warn("trace export failed", {
      endpoint: this.#endpoint,
      spans,
      status: typeof error?.code === "number" ? error.code : null,
      error: this.#scrub(error?.message || String(error ?? "unknown error")),
      response: typeof error?.data === "string" && error.data ? this.#scrub(error.data) : null,
    });
  }

  #scrub(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join("[redacted]");
    return out.length > MAX_LOGGED_CHARS ? `${out.slice(0, MAX_LOGGED_CHARS)}...` : out;
  }
}
