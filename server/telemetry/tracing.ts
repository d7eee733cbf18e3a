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
 * application's own OpenTelemetry setup is left alone.
 */
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from "@opentelemetry/sdk-trace";
import type { EventInput } from "../protocol/index.js";
import { SERVER_VERSION } from "../transport/version.js";
import { TurnSpans } from "./turn-spans.js";

export { tracesUrl, tracingEnabled, type TracingSettings } from "./tracing-settings.js";
import type { TracingSettings } from "./tracing-settings.js";

export interface Tracing {
  /** Feed one pipeline event (subscribe this to the pipeline). */
  observe(event: EventInput): void;
  /** End open turns, export what is pending, stop. */
  close(): Promise<void>;
}

export interface StartTracingOptions extends TracingSettings {
  /** Export here instead of OTLP/HTTP (tests, benchmarks). */
  exporter?: SpanExporter;
  /** Batch delay (ms); default OTEL_BSP_SCHEDULE_DELAY or 5000. */
  scheduledDelayMillis?: number;
}

/**
 * Start a tracer provider exporting over OTLP/HTTP and return the turn observer.
 * @example
 * const tracing = startTracing({ tracingEndpoint: "http://127.0.0.1:4318/v1/traces" });
 * const unsubscribe = pipeline.subscribe((e) => tracing.observe(e));
 * // on stop: unsubscribe(); await tracing.close();
 */
export function startTracing(options: StartTracingOptions = {}): Tracing {
  const exporter = options.exporter ?? new OTLPTraceExporter(options.tracingEndpoint ? { url: options.tracingEndpoint } : {});
  const resource = resourceFromAttributes({ "service.name": "coda-core", "service.version": SERVER_VERSION }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter, ...(options.scheduledDelayMillis !== undefined ? { scheduledDelayMillis: options.scheduledDelayMillis } : {}) })],
  });
  const spans = new TurnSpans(provider.getTracer("coda-core", SERVER_VERSION), { content: options.tracingContent === true });
  let closed = false;
  return {
    observe(event) {
      if (!closed) spans.record(event);
    },
    async close() {
      if (closed) return;
      closed = true;
      spans.endAll();
      await provider.shutdown();
    },
  };
}
