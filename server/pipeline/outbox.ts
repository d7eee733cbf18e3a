/**
 * The outbox of one session: what leaves its machine steps, in order, a
 * microtask after the step that produced it. Items are wire events (some
 * built only at delivery, e.g. with what was heard of a cut turn) and
 * updates of the playout (audio chunks, the end of synthesis, a cut), kept
 * in one queue so that audio and the events around it keep their order.
 *
 * Delivery is asynchronous: `Pipeline.dispatch` returns before the events
 * it caused reach the subscribers, so a command's ack can come first. A
 * subscriber or an update that throws is logged and the rest go on.
 */
import type { Logger } from "../../actors/logger.js";
import type { EventInput } from "../protocol/index.js";

type Item = { kind: "events"; events: readonly EventInput[] | (() => readonly EventInput[]) } | { kind: "run"; run: () => void };

export class Outbox {
  readonly #logger: Logger;
  readonly #listeners = new Set<(event: EventInput) => void>();
  #items: Item[] = [];
  #scheduled = false;
  readonly #flushLater = () => this.flush();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Receive every event from now on, in order. Returns the unsubscribe function. */
  subscribe(listener: (event: EventInput) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Queue wire events, or a function that builds them at delivery. */
  events(events: readonly EventInput[] | (() => readonly EventInput[])): void {
    if (Array.isArray(events) && events.length === 0) return;
    this.#push({ kind: "events", events });
  }

  /** Queue an update to run at delivery, between the events queued before and after it. */
  run(fn: () => void): void {
    this.#push({ kind: "run", run: fn });
  }

  /** Deliver everything queued now (the scheduled delivery then finds nothing). */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#items;
    this.#items = [];
    for (const item of batch) {
      if (item.kind === "run") {
        try {
          item.run();
        } catch (err) {
          this.#logger.error("pipeline playout update failed", { error: String(err) });
        }
        continue;
      }
      const events = typeof item.events === "function" ? item.events() : item.events;
      for (const event of events) this.#deliver(event);
    }
  }

  #push(item: Item): void {
    this.#items.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushLater);
    }
  }

  #deliver(event: EventInput): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#logger.error("pipeline event listener failed", { type: event.type, error: String(err) });
      }
    }
  }
}
