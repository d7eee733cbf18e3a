/**
 * The two stream entries of command forwarding, written by one node and
 * read by another, so both sides share their fields here:
 *
 * - a command, on the session's `coda:s:{<id>}:cmd`: `o` origin node, `c`
 *   client id (on the origin node), `u` the connection's user, `i` the
 *   forward id (unique on the origin node), `d` the command's JSON text;
 * - a reply, on the origin node's `coda:n:<node>:replies`: `i` the forward
 *   id, `c` the client, `n` how many frames, `f0`.. `f<n-1>` the frames for
 *   that client in order (the last one is its command_ack or command_error).
 */
import { z } from "zod";
import { NODE_ID_PATTERN } from "./keys.js";

/** A forwarded command as the owner reads it. */
export const CommandEntrySchema = z.object({
  o: z.string().regex(NODE_ID_PATTERN),
  c: z.string().min(1),
  u: z.string().min(1),
  i: z.string().min(1),
  d: z.string(),
});

/** A forwarded command, in the names the owner's handler sees. */
export interface ForwardedCommand {
  session: string;
  /** The node the client is connected to. */
  origin: string;
  /** The client's id on that node. */
  client: string;
  /** The connection's user. */
  user: string;
  /** The command's JSON text, as the client sent it. */
  command: string;
}

/** Fields of a command entry. */
export function commandFields(forwardId: string, origin: string, client: string, user: string, command: string): Record<string, string> {
  return { o: origin, c: client, u: user, i: forwardId, d: command };
}

/** Fields of a reply entry. */
export function replyFields(forwardId: string, client: string, frames: readonly Buffer[]): Record<string, string | Buffer> {
  const fields: Record<string, string | Buffer> = { i: forwardId, c: client, n: String(frames.length) };
  frames.forEach((f, k) => (fields[`f${k}`] = f));
  return fields;
}

/** The forward id and frames of a reply entry, or null when it is not one. */
export function readReply(message: Record<string, Buffer>): { forwardId: string; client: string; frames: Buffer[] } | null {
  const n = Number(message.n?.toString());
  if (!message.i || !message.c || !Number.isInteger(n) || n < 0) return null;
  const frames: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const f = message[`f${k}`];
    if (!f) return null;
    frames.push(f);
  }
  return { forwardId: message.i.toString(), client: message.c.toString(), frames };
}
