/**
 * `npm run bench:bad-input`: what refusing hostile frames costs the server,
 * per frame, beside a valid command of the same path (decode + validation,
 * no socket): deeply nested JSON at the command size limit, a frame over the
 * limit (refused before parsing), invalid UTF-8 and __proto__ keys.
 * test/hardening/security.test.ts checks the answers; this prints the cost.
 */
import { isUtf8 } from "node:buffer";
import { decodeCommand } from "../server/protocol/index.js";

const LIMIT = 64 * 1024;
const depth = 30_000;
const cases: [string, Buffer][] = [
  ["valid get_system_info", Buffer.from('{"type":"get_system_info","data":{},"id":1}')],
  ["valid text_input, 4 KB", Buffer.from(JSON.stringify({ type: "text_input", data: { text: "x".repeat(4000) }, id: 1 }))],
  [`array nested ${depth} deep (60 KB)`, Buffer.from("[".repeat(depth) + "]".repeat(depth))],
  [`data nested ${depth / 5} deep`, Buffer.from('{"type":"stt_stop","data":' + '{"a":'.repeat(depth / 5) + "1" + "}".repeat(depth / 5) + "}")],
  [`unterminated, ${depth} deep`, Buffer.from("[".repeat(depth))],
  ["__proto__ keys", Buffer.from('{"type":"get_replay","data":{"__proto__":{"polluted":1},"constructor":{"prototype":{}}},"id":1}')],
  ["1 MB frame (over the command limit)", Buffer.alloc(1024 * 1024, 0x5b)],
  ["invalid UTF-8, 60 KB", Buffer.alloc(60_000, 0xff)],
];

/** The server's path for one text frame (server/transport/connection.ts), minus the socket. */
function handle(frame: Buffer): string {
  if (frame.length > LIMIT) return "too_large";
  if (!isUtf8(frame)) return "invalid_json";
  try {
    decodeCommand(frame.toString("utf8"));
    return "ok";
  } catch (err) {
    return (err as { code: string }).code;
  }
}

for (const [name, frame] of cases) {
  const n = frame.length > 10_000 ? 300 : 20_000;
  for (let i = 0; i < Math.min(n, 100); i++) handle(frame);
  const t0 = performance.now();
  let code = "";
  for (let i = 0; i < n; i++) code = handle(frame);
  const us = ((performance.now() - t0) / n) * 1000;
  console.log(`${name.padEnd(40)} ${String(frame.length).padStart(8)} B  -> ${code.padEnd(13)} ${us.toFixed(1).padStart(8)} us/frame`);
}
