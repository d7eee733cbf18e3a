/**
 * A Lua script run by its SHA1 (EVALSHA), sent whole (EVAL) only when Redis
 * does not know it yet: after a restart without persistence, or on a server
 * that never saw it. Scripts are how the cluster makes a check and a write
 * one atomic step (compare-and-renew a lease, append only while owning it).
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./redis-client.js";

export class RedisScript {
  readonly sha1: string;

  constructor(readonly source: string) {
    this.sha1 = createHash("sha1").update(source).digest("hex");
  }

  /** Run the script on `client` with `keys` and `args`. */
  async run(client: RedisClient, keys: string[], args: (string | Buffer)[]): Promise<unknown> {
    try {
      return await client.evalSha(this.sha1, { keys, arguments: args as string[] });
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("NOSCRIPT")) return client.eval(this.source, { keys, arguments: args as string[] });
      throw err;
    }
  }
}
