/**
 * The protocol contract: the seed's event and command lists are all there,
 * every example validates, and docs/protocol.md and docs/protocol.schema.json
 * are exactly what the schemas generate (regenerate: npm run docs:protocol).
 */
import { readFileSync } from "node:fs";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  buildProtocolSchema,
  COMMAND_TYPES,
  decodeCommand,
  EVENT_TYPES,
  ProtocolError,
  validateEvent,
  type CommandOfType,
  type EventData,
} from "../../../server/protocol/index.js";
import { renderProtocolDoc } from "../../../server/protocol/docs.js";
import { COMMAND_EXAMPLES, EVENT_EXAMPLES } from "../../../server/protocol/examples.js";
import { ROOT } from "../../helpers/cli.js";

const SEED_EVENTS = [
  "stt_start", "stt_progress", "stt_result", "stt_error",
  "llm_start", "llm_progress", "llm_result", "llm_error",
  "tts_start", "tts_progress", "tts_result", "tts_error",
  "memory_store", "memory_recall", "memory_error",
  "tool_call", "tool_result", "tool_error",
  "system_info", "latency_trace", "connection_status", "replay",
];
const SEED_COMMANDS = ["stt_start", "stt_stop", "demo_flow", "get_system_info", "get_performance_metrics"];

describe("protocol schemas", () => {
  it("cover every seed event and command, plus command_ack and command_error", () => {
    expect(EVENT_TYPES).toEqual(expect.arrayContaining([...SEED_EVENTS, "command_ack", "command_error"]));
    expect(COMMAND_TYPES).toEqual(expect.arrayContaining(SEED_COMMANDS));
  });

  it.each(EVENT_TYPES)("the %s example validates", (type) => {
    const example = { type, data: EVENT_EXAMPLES[type] } as Parameters<typeof validateEvent>[0];
    expect(validateEvent(example).data).toEqual(EVENT_EXAMPLES[type]);
  });

  it.each(COMMAND_TYPES)("the %s example decodes", (type) => {
    const cmd = decodeCommand(JSON.stringify({ type, data: COMMAND_EXAMPLES[type], id: 1 }));
    expect(cmd).toMatchObject({ type, id: 1 });
  });

  it("accepts the seed's system_info example as written", () => {
    const event = { type: "system_info", data: { version: "0.1.1", uptime: 3600, memory: 1024 * 1024 * 100 }, timestamp: "2025-05-01T12:34:56.789Z" } as const;
    expect(validateEvent(event)).toEqual(event);
  });

  it("refuses an invalid event with a message naming the field", () => {
    const bad = () => validateEvent({ type: "llm_progress", data: { turn_id: "t1", delta: 3, index: 0 } } as never);
    expect(bad).toThrow(ProtocolError);
    expect(bad).toThrow(/Invalid data for event llm_progress: delta: Invalid input: expected string, received number/);
    expect(() => validateEvent({ type: "llm_progress", data: { turn_id: "t1", delta: "x", index: 0 }, timestamp: "2025-05-01 12:00" })).toThrow(/Invalid timestamp/);
    expect(() => validateEvent({ type: "nope", data: {} } as never)).toThrow('Unknown event type "nope"');
  });

  it("types come from the schemas", () => {
    expectTypeOf<EventData<"llm_progress">>().toEqualTypeOf<{ turn_id: string; delta: string; index: number }>();
    expectTypeOf<CommandOfType<"stt_start">["data"]["mode"]>().toEqualTypeOf<"push_to_talk" | "continuous">();
  });
});

describe("generated docs", () => {
  it("docs/protocol.md is in step with the schemas", () => {
    const current = readFileSync(`${ROOT}docs/protocol.md`, "utf8");
    expect(renderProtocolDoc(current), "docs/protocol.md is stale: run npm run docs:protocol").toBe(current);
    for (const t of EVENT_TYPES) expect(current).toContain(`### \`${t}\` event`);
    for (const t of COMMAND_TYPES) expect(current).toContain(`### \`${t}\` command`);
  });

  it("docs/protocol.schema.json is in step with the schemas", () => {
    const current = JSON.parse(readFileSync(`${ROOT}docs/protocol.schema.json`, "utf8"));
    expect(current, "docs/protocol.schema.json is stale: run npm run docs:protocol").toEqual(buildProtocolSchema());
  });
});
