/**
 * A real `ws` client for tests: records every frame, waits for messages by
 * predicate (with a deadline so a missing event fails the test instead of
 * hanging), and closes cleanly.
 */
import WebSocket, { type ClientOptions } from "ws";
import type { ServerEvent } from "../../server/protocol/index.js";

export type Received = ServerEvent & { seq?: number };

export class TestClient {
  readonly messages: Received[] = [];
  readonly binary: Buffer[] = [];
  closeCode: number | null = null;
  closeReason = "";
  #waiters: { pred: (m: Received) => boolean; from: number; resolve: (m: Received) => void; reject: (e: Error) => void }[] = [];
  #closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        this.binary.push(data as Buffer);
        return;
      }
      const msg = JSON.parse(data.toString()) as Received;
      this.messages.push(msg);
      this.#waiters = this.#waiters.filter((w) => {
        if (this.messages.length - 1 >= w.from && w.pred(msg)) {
          w.resolve(msg);
          return false;
        }
        return true;
      });
    });
    this.#closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        for (const w of this.#waiters.splice(0)) w.reject(new Error(`socket closed (${code} ${this.closeReason}) while waiting`));
        resolve();
      }),
    );
  }

  /** Connect and resolve once open (rejects on HTTP refusal with the status in the message). */
  static connect(url: string, options?: ClientOptions & { protocols?: string[] }): Promise<TestClient> {
    const ws = new WebSocket(url, options?.protocols ?? [], options);
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(client));
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.trim()}`), { status: res.statusCode, body: body.trim() })));
      });
      ws.once("error", reject);
    });
  }

  send(value: unknown): void {
    this.ws.send(typeof value === "string" ? value : JSON.stringify(value));
  }

  /** Wait for the first message (received at index >= `from`) matching `pred`. */
  waitFor(pred: (m: Received) => boolean, { from = 0, timeoutMs = 5000 } = {}): Promise<Received> {
    const existing = this.messages.slice(from).find(pred);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting; got types: ${this.messages.slice(from).map((m) => m.type).join(",")}`)), timeoutMs);
      this.#waiters.push({ pred, from, resolve: (m) => (clearTimeout(timer), resolve(m)), reject: (e) => (clearTimeout(timer), reject(e)) });
    });
  }

  waitForType<T extends Received["type"]>(type: T, opts?: { from?: number; timeoutMs?: number }): Promise<Extract<Received, { type: T }>> {
    return this.waitFor((m) => m.type === type, opts) as Promise<Extract<Received, { type: T }>>;
  }

  /** Send a command with an id and resolve with its command_ack or command_error. */
  async command(type: string, data?: unknown, id: string | number = `q${Math.random().toString(36).slice(2)}`): Promise<Received> {
    const from = this.messages.length;
    this.send({ type, ...(data === undefined ? {} : { data }), id });
    return this.waitFor((m) => (m.type === "command_ack" || m.type === "command_error") && (m.data as { id: unknown }).id === id, { from });
  }

  ofType<T extends Received["type"]>(type: T): Extract<Received, { type: T }>[] {
    return this.messages.filter((m) => m.type === type) as Extract<Received, { type: T }>[];
  }

  /** Resolves when the socket has closed. */
  closed(): Promise<void> {
    return this.#closed;
  }

  /** Close; a peer that does not finish the handshake within 1 s is cut. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState !== WebSocket.CLOSING) this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    await this.#closed;
    clearTimeout(timer);
  }
}

