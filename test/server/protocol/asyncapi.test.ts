/**
 * docs/asyncapi.yaml: in step with the zod schemas (regenerate with
 * npm run docs:protocol), valid for the official AsyncAPI parser, complete
 * (every event and command with an example that passes its own schema, the
 * binary frames, the query parameters, the token schemes), and served at
 * /asyncapi.yaml under the same token rule as /schema.
 */
import { readFileSync } from "node:fs";
import { Parser, type AsyncAPIDocumentInterface } from "@asyncapi/parser";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { CODA_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "../../../server/transport/handshake.js";
import {
  buildAsyncApiYaml,
  COMMAND_TYPES,
  ConnectQuery,
  decodeCommand,
  DIRECT_EVENT_TYPES,
  EVENT_TYPES,
  validateEvent,
} from "../../../server/protocol/index.js";
import { ROOT } from "../../helpers/cli.js";
import { useServers } from "../../helpers/server.js";

const FILE = `${ROOT}docs/asyncapi.yaml`;

describe("docs/asyncapi.yaml", () => {
  let doc: AsyncAPIDocumentInterface;
  let diagnostics: { severity: number; code: string | number; message: string }[];

  beforeAll(async () => {
    const parsed = await new Parser().parse(readFileSync(FILE, "utf8"));
    diagnostics = parsed.diagnostics;
    doc = parsed.document!;
  }, 60_000);

  it("is what the schemas generate", () => {
    expect(readFileSync(FILE, "utf8"), "docs/asyncapi.yaml is stale: run npm run docs:protocol").toBe(buildAsyncApiYaml());
  });

  it("is a valid AsyncAPI 3.0 document for the official parser: no errors, no warnings", () => {
    expect(doc, JSON.stringify(diagnostics)).toBeDefined();
    expect(doc.version()).toBe("3.0.0");
    // Severity 0 = error, 1 = warning; the one info (3.1.0 exists) is expected: the issue asks for 3.0.
    expect(diagnostics.filter((d) => d.severity <= 1)).toEqual([]);
  });

  it("has every event and command as a message with an example that passes the server's own validation", () => {
    const byId = new Map(doc.messages().all().map((m) => [m.id(), m]));
    expect(byId.size).toBe(EVENT_TYPES.length + COMMAND_TYPES.length + 2);
    for (const type of EVENT_TYPES) {
      const m = byId.get(`event.${type}`);
      expect(m, type).toBeDefined();
      expect(m!.payload()!.properties()!.type!.const()).toBe(type);
      const [example] = m!.examples().all();
      expect(example!.payload()).toMatchObject({ type });
      expect(() => validateEvent(example!.payload() as Parameters<typeof validateEvent>[0])).not.toThrow();
    }
    for (const type of COMMAND_TYPES) {
      const m = byId.get(`command.${type}`);
      expect(m, type).toBeDefined();
      const [example] = m!.examples().all();
      expect(decodeCommand(JSON.stringify(example!.payload()))?.type).toBe(type);
    }
  });

  it("describes the binary audio frames in both directions", () => {
    const ops = new Map(doc.operations().all().map((o) => [o.id(), o]));
    const mic = ops.get("receiveMicrophoneAudio")!;
    const speech = ops.get("sendSpeechAudio")!;
    expect(mic.action()).toBe("receive");
    expect(speech.action()).toBe("send");
    for (const op of [mic, speech]) {
      const [m] = op.messages().all();
      expect(m!.contentType()).toBe("application/octet-stream");
      expect(m!.payload()!.format()).toBe("binary");
    }
    expect(mic.messages().all()[0]!.summary()).toContain("16000 Hz, signed 16-bit little-endian");
  });

  it("answers commands with the direct events as replies", () => {
    const receive = doc.operations().all().find((o) => o.id() === "receiveCommand")!;
    expect(receive.messages().all().map((m) => m.id())).toEqual(COMMAND_TYPES.map((t) => `command.${t}`));
    expect(receive.reply()!.messages().all().map((m) => m.id())).toEqual(DIRECT_EVENT_TYPES.map((t) => `event.${t}`));
  });

  it("documents the query parameters session, user, since, audio and compat from ConnectQuery", () => {
    const raw = parseYaml(readFileSync(FILE, "utf8")) as { channels: { coda: { bindings: { ws: { query: { properties: Record<string, { description: string; examples: unknown[] }> } } } } } };
    const query = raw.channels.coda.bindings.ws.query.properties;
    expect(Object.keys(query)).toEqual(["session", "user", "since", "audio", "compat"]);
    expect(Object.keys(query)).toEqual(Object.keys(ConnectQuery.shape));
    // Profiles are registered by the server that runs, not by the protocol: a name, with the ones npm start knows described.
    expect(query.compat).toMatchObject({ type: "string", examples: ["coda-lite"] });
    expect(query.compat!.description).toContain("`coda-lite`");
    expect(query.since!.description).toMatch(/^Resume after this seq/);
    const binding = doc.channels().all()[0]!.bindings().get("ws")!;
    expect(binding.value().query.properties.since.pattern).toBe("^\\d{1,15}$");
    expect([binding.value().query.properties.session.pattern, binding.value().query.properties.user.pattern]).toEqual(["^[A-Za-z0-9_-]{1,64}$", "^[A-Za-z0-9_-]{1,64}$"]);
    expect(query.session!.description).toMatch(/^The conversation to join/);
  });

  it("has both token schemes on both servers", () => {
    const schemes = doc.components().securitySchemes().all();
    expect(schemes.map((s) => [s.id(), s.type()])).toEqual([
      ["bearer", "http"],
      ["subprotocolToken", "httpApiKey"],
    ]);
    expect(schemes[0]!.scheme()).toBe("bearer");
    expect(schemes[1]!.name()).toBe("Sec-WebSocket-Protocol");
    expect(schemes[1]!.description()).toContain(CODA_PROTOCOL);
    expect(schemes[1]!.description()).toContain(`${TOKEN_PROTOCOL_PREFIX}<token>`);
    for (const server of doc.servers().all()) {
      expect(server.protocol()).toBe("ws");
      expect(server.security().map((req) => req.all()[0]!.scheme().type())).toEqual(["http", "httpApiKey"]);
    }
  });
});

describe("GET /asyncapi.yaml", () => {
  const { server } = useServers();
  const TOKEN = "0123456789abcdef-token";

  it("serves the document as YAML beside /schema, with the token when one is configured", async () => {
    const s = await server({ token: TOKEN });
    const url = `http://127.0.0.1:${s.port}/asyncapi.yaml`;
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "Missing or wrong token" });
    const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/yaml; charset=utf-8");
    expect(await res.text()).toBe(readFileSync(FILE, "utf8"));
  });
});
