/**
 * Validating events and turning them into wire frames. An event is
 * serialised once and the same buffer is sent to every client.
 */
import { EVENT_DATA, type EventData, type EventInput, type EventType, type ServerEvent } from "./events.js";
import { Timestamp } from "./common.js";
import { describeIssues, issuesFromZod, ProtocolError } from "./errors.js";

const isEventType = (t: unknown): t is EventType => typeof t === "string" && Object.hasOwn(EVENT_DATA, t);

/**
 * Check an event against its schema and fill in the timestamp.
 * @throws ProtocolError code `invalid_event` naming the offending fields; nothing is sent.
 */
export function validateEvent(input: EventInput | { type: string; data: unknown; timestamp?: string }): ServerEvent {
  if (typeof input !== "object" || input === null) throw new ProtocolError("invalid_event", "An event must be an object {type, data, timestamp?}");
  const { type } = input;
  if (!isEventType(type)) throw new ProtocolError("invalid_event", `Unknown event type "${String(type)}"`);
  const parsed = EVENT_DATA[type].safeParse(input.data);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error);
    throw new ProtocolError("invalid_event", `Invalid data for event ${type}: ${describeIssues(issues)}`, issues);
  }
  let timestamp = input.timestamp;
  if (timestamp === undefined) timestamp = new Date().toISOString();
  else if (!Timestamp.safeParse(timestamp).success) {
    throw new ProtocolError("invalid_event", `Invalid timestamp for event ${type}: expected ISO 8601 UTC with milliseconds, e.g. 2026-05-01T12:34:56.789Z`);
  }
  return { type, data: parsed.data, timestamp } as ServerEvent;
}

/** Build a direct (unlogged) event without re-validating trusted server data. */
export function makeEvent<T extends EventType>(type: T, data: EventData<T>): ServerEvent {
  return { type, data, timestamp: new Date().toISOString() } as ServerEvent;
}

/** Serialise an event to the bytes of one text frame. */
export function encodeEvent(event: ServerEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}
