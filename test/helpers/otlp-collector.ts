/**
 * A local OpenTelemetry collector for tests: an HTTP server on 127.0.0.1
 * that speaks OTLP/HTTP with JSON bodies (POST /v1/traces, an
 * ExportTraceServiceRequest; answers an empty ExportTraceServiceResponse)
 * and keeps every span it receives, flattened for assertions.
 */
import { startHttpServer } from "./http-server.js";

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** Epoch milliseconds. */
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, unknown>;
}

export interface OtlpCollector {
  /** Base URL, e.g. http://127.0.0.1:43123 (traces go to `${url}/v1/traces`). */
  url: string;
  spans: CollectedSpan[];
  /** Content types of the requests received. */
  contentTypes: string[];
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

function valueOf(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

const attrs = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
const nanosToMs = (n: string | number) => Number(BigInt(n) / 1000n) / 1000;

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const contentTypes: string[] = [];
  const server = await startHttpServer((req, res) => {
    if (req.method !== "POST" || req.path !== "/v1/traces") {
      res.writeHead(404).end();
      return;
    }
    contentTypes.push(req.headers["content-type"] ?? "");
    const body = req.body as {
      resourceSpans: { resource?: { attributes?: KeyValue[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    for (const rs of body.resourceSpans) {
      const resource = attrs(rs.resource?.attributes);
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          spans.push({
            traceId: s.traceId as string,
            spanId: s.spanId as string,
            parentSpanId: (s.parentSpanId as string | undefined) ?? "",
            name: s.name as string,
            startMs: nanosToMs(s.startTimeUnixNano as string),
            endMs: nanosToMs(s.endTimeUnixNano as string),
            attributes: attrs(s.attributes as KeyValue[]),
            events: ((s.events as { name: string; attributes?: KeyValue[] }[] | undefined) ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
            statusCode: (s.status as { code?: number } | undefined)?.code ?? 0,
            resource,
          });
        }
      }
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  return { url: server.url, spans, contentTypes, close: () => server.close() };
}
