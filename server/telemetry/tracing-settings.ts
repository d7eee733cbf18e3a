/**
 * Whether tracing is on and where its spans go, decided from the settings
 * and the standard OTEL_* variables without loading OpenTelemetry (the
 * composition root asks before it loads tracing.ts). The rules are in
 * tracing.ts's module comment.
 */

export interface TracingSettings {
  /** The `tracing` setting. */
  tracing?: boolean | undefined;
  /** The `tracingEndpoint` setting: full OTLP/HTTP traces URL. */
  tracingEndpoint?: string | undefined;
  /** The `tracingContent` setting. */
  tracingContent?: boolean | undefined;
}

/** Whether tracing is on for these settings and environment (see the module comment for the rules). */
export function tracingEnabled(settings: TracingSettings, env: NodeJS.ProcessEnv = process.env): boolean {
  if (/^true$/i.test(env.OTEL_SDK_DISABLED ?? "") || /^none$/i.test(env.OTEL_TRACES_EXPORTER ?? "")) return false;
  return settings.tracing === true || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Where spans go, for the start-up output: the setting, else the OTEL_* variables, else the OTLP/HTTP default. */
export function tracesUrl(settings: TracingSettings, env: NodeJS.ProcessEnv = process.env): string {
  if (settings.tracingEndpoint) return settings.tracingEndpoint;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
  return "http://localhost:4318/v1/traces";
}
