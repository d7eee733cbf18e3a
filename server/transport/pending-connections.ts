/**
 * A bound on TCP connections that have not become WebSocket clients (plain
 * HTTP requests, handshakes in progress, sockets that never send a byte).
 * Each holds a file descriptor; without a bound, a few hundred idle sockets
 * exhaust the process's descriptors. Past the bound the oldest pending
 * connection is closed, so a new client can still get in while a flood of
 * idle sockets is going on.
 */
import type { Socket } from "node:net";

export class PendingConnections {
  /** Insertion-ordered: the first entry is the oldest. */
  readonly #sockets = new Set<Socket>();
  readonly #limit: number;
  readonly #onEvict: () => void;

  /** `onEvict` is told each time the bound closes a connection (for a log line or a counter). */
  constructor(limit: number, onEvict: () => void = () => {}) {
    this.#limit = limit;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#sockets.size;
  }

  /** A new TCP connection (the HTTP server's 'connection' event). */
  add(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    if (this.#sockets.size <= this.#limit) return;
    const oldest = this.#sockets.values().next().value!;
    this.#sockets.delete(oldest);
    this.#onEvict();
    oldest.destroy();
  }

  /** The connection asked to upgrade: from now on the WebSocket limits (maxClients) apply to it. */
  release(socket: Socket): void {
    this.#sockets.delete(socket);
  }
}
