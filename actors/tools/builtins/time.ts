/**
 * The `get_time` built-in: the current date and time in an IANA time zone
 * (the server's own zone when none is given), computed with Intl so daylight
 * saving and historical offsets are right.
 */
import { z } from "zod";
import { defineTool } from "../registry.js";

/** True when Intl knows `zone` (e.g. "Europe/Berlin", "UTC"). */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Input of `get_time`. */
export const GetTimeInput = z.object({
  timezone: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .refine(isValidTimeZone, { message: "Unknown time zone; use an IANA name such as Europe/Berlin, America/New_York or UTC" })
    .optional()
    .describe("IANA time zone name, e.g. Europe/Berlin; the server's zone when omitted"),
});

/** What `get_time` returns. */
export interface TimeResult {
  timezone: string;
  /** The instant in UTC, ISO 8601. */
  iso: string;
  /** Wall-clock date and time in the zone, "YYYY-MM-DD HH:mm:ss". */
  local: string;
  /** e.g. "Thursday". */
  weekday: string;
  /** e.g. "+01:00". */
  utc_offset: string;
}

/** The time at `now` in `timeZone`. */
export function timeIn(now: Date, timeZone: string): TimeResult {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      weekday: "long",
      timeZoneName: "longOffset",
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  // longOffset prints "GMT+01:00", or just "GMT" at offset zero.
  const offset = parts.timeZoneName === "GMT" ? "+00:00" : (parts.timeZoneName ?? "GMT+00:00").replace("GMT", "");
  return {
    timezone: timeZone,
    iso: now.toISOString(),
    local: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`,
    weekday: parts.weekday ?? "",
    utc_offset: offset,
  };
}

/** The `get_time` tool. `timezone` is the default zone (the server's own); `now` is the clock, for tests. */
export function createGetTimeTool(options: { timezone?: string; now?: () => Date } = {}) {
  const fallbackZone = options.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
  if (!isValidTimeZone(fallbackZone)) throw new TypeError(`Unknown default time zone ${JSON.stringify(fallbackZone)}`);
  const now = options.now ?? (() => new Date());
  return defineTool({
    name: "get_time",
    description: "Get the current date, time and weekday, optionally in a given IANA time zone (e.g. Asia/Tokyo).",
    input: GetTimeInput,
    timeoutMs: 1000,
    handler: ({ timezone }): TimeResult => timeIn(now(), timezone ?? fallbackZone),
  });
}
