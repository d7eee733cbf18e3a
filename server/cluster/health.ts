/**
 * Whether this node can reach Redis: the flag `/health` reports and the
 * check that refuses new turns with `unavailable` while it is down. It
 * follows the connections the node opened (each one's ready, error and
 * reconnecting events): healthy while every one is ready. Listeners hear
 * each change once, in order.
 */
import type { RedisClient } from "./redis-client.js";

/** What the health tracker says. */
export interface RedisHealthStatus {
  ok: boolean;
  /** Connections not ready, by name. */
  down: string[];
  /** Why the last connection went down (the client's error message), while not ok. */
  reason: string | null;
  /** When the current state began (ISO). */
  since: string;
}

export class RedisHealth {
  readonly #down = new Map<string, string>();
  readonly #listeners = new Set<(status: RedisHealthStatus) => void>();
  readonly #detach: (() => void)[] = [];
  readonly #now: () => Date;
  #since: string;

  constructor(options: { now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#since = this.#now().toISOString();
  }

  /** True while every followed connection is ready. */
  get ok(): boolean {
    return this.#down.size === 0;
  }

  status(): RedisHealthStatus {
    return { ok: this.ok, down: [...this.#down.keys()], reason: this.ok ? null : [...this.#down.values()].at(-1) ?? null, since: this.#since };
  }

  /** Follow `client` under `name` (its state now counts). */
  watch(name: string, client: RedisClient): void {
    const clientOnReady = () => this.#set(name, null);
    const clientOnError = (err: unknown) => this.#set(name, err instanceof Error ? err.message : String(err));
    const clientOnReconnecting = () => this.#set(name, this.#down.get(name) ?? "reconnecting");
    const clientOnEnd = () => this.#set(name, "closed");
    client.on("ready", clientOnReady);
    client.on("error", clientOnError);
    client.on("reconnecting", clientOnReconnecting);
    client.on("end", clientOnEnd);
    this.#detach.push(() => {
      client.off("ready", clientOnReady);
      client.off("error", clientOnError);
      client.off("reconnecting", clientOnReconnecting);
      client.off("end", clientOnEnd);
    });
    this.#set(name, client.isReady ? null : "not connected");
  }

  /** Call `listener` on every change of `ok`; returns the unsubscribe. */
  onChange(listener: (status: RedisHealthStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stop following the connections (they are closed separately). */
  close(): void {
    for (const detach of this.#detach.splice(0)) detach();
    this.#listeners.clear();
  }

  #set(name: string, reason: string | null): void {
    const wasOk = this.ok;
    if (reason === null) this.#down.delete(name);
    else this.#down.set(name, reason);
    if (wasOk === this.ok) return;
    this.#since = this.#now().toISOString();
    const status = this.status();
    for (const listener of this.#listeners) listener(status);
  }
}
