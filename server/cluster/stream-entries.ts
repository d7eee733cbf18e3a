/**
 * Reading stream entries as bytes. The frames in a stream are the exact
 * bytes the owner encoded; a client whose bulk strings come back as
 * Buffers hands them on untouched (no decoding and re-encoding of UTF-8).
 */
import type { RedisClient } from "./redis-client.js";

/** One stream entry as a Buffer-mapped client returns it. */
export interface StreamEntry {
  id: Buffer | string;
  message: Record<string, Buffer>;
}

/** RESP's bulk-string type (`$`, RESP_TYPES.BLOB_STRING), written out so this module does not load the client. */
const BLOB_STRING = 36;

const binaryClients = new WeakMap<RedisClient, RedisClient>();

/** A view of `client` (same connection) whose bulk strings are Buffers. */
export function bufferClient(client: RedisClient): RedisClient {
  let binary = binaryClients.get(client);
  if (!binary) binaryClients.set(client, (binary = client.withTypeMapping({ [BLOB_STRING]: Buffer }) as unknown as RedisClient));
  return binary;
}

/** An entry's id as text. */
export function entryId(entry: StreamEntry): string {
  return typeof entry.id === "string" ? entry.id : entry.id.toString("latin1");
}

/** The id of `key`'s newest entry, "0-0" when it has none: where a reader that wants only what comes next starts. */
export async function streamTopId(client: RedisClient, key: string): Promise<string> {
  const top = (await client.xRevRange(key, "+", "-", { COUNT: 1 }))?.[0];
  return top ? top.id : "0-0";
}
