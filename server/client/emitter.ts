/**
 * A tiny typed event emitter for the client. Browser-safe (no node:events):
 * the same code runs in a page and in Node. Listeners run synchronously in
 * registration order; one that throws is reported to `onListenerError` and
 * does not stop the others.
 */

/** Map of event name to the listener's argument tuple. */
export type EventMap = Record<string, unknown[]>;

type Listener = (...args: unknown[]) => void;

/** Minimal typed emitter. */
export class Emitter<M extends EventMap> {
  // Stored loosely typed; `on` and `emit` keep the per-name types at the edges.
  readonly #listeners = new Map<keyof M, Set<Listener>>();
  #onListenerError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Add a listener; returns a function that removes it. */
  on<K extends keyof M>(name: K, listener: (...args: M[K]) => void): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as unknown as Listener);
    return () => this.off(name, listener);
  }

  /** Add a listener that runs once. */
  once<K extends keyof M>(name: K, listener: (...args: M[K]) => void): () => void {
    const off = this.on(name, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof M>(name: K, listener: (...args: M[K]) => void): void {
    this.#listeners.get(name)?.delete(listener as unknown as Listener);
  }

  /** Whether anyone listens to `name` (lets the client skip work nobody wants). */
  has(name: keyof M): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  protected emit<K extends keyof M>(name: K, ...args: M[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(...(args as unknown[]));
      } catch (err) {
        this.#onListenerError(err);
      }
    }
  }
}
