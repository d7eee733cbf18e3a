/**
 * The inbound half of the `coda-lite` profile: Coda Lite's commands as v1
 * commands. `tts_stop` is `stop_speaking`, `stt_start {continuous: true}`
 * is continuous mode, its test and ping messages are dropped. Everything
 * else passes through to the (lenient) v1 decoder, which ignores `_debug`
 * and `duration`. docs/compat-coda-lite.md lists what is accepted.
 */
import type { CommandDialect } from "../protocol/index.js";
import { isRecord } from "./records.js";

/** Messages Coda Lite's clients send that mean nothing to this server: dropped without an answer, as Coda Lite did. */
const SILENT = new Set(["test", "test_message", "ping", "client_message", "auth_response"]);

export const codaLiteDialect: CommandDialect = {
  rewrite(frame) {
    if (typeof frame.type !== "string") return frame;
    if (SILENT.has(frame.type)) return null;
    if (frame.type === "tts_stop") return { ...frame, type: "stop_speaking" };
    if (frame.type === "stt_start" && isRecord(frame.data) && frame.data.mode === undefined && frame.data.continuous === true) {
      return { ...frame, data: { ...frame.data, mode: "continuous" } };
    }
    return frame;
  },
};
