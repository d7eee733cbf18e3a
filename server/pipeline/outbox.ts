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
  readonly #subscribed = new Set<(event: EventInput) => void>();
  /** The subscribers as a plain array, rebuilt on change: delivery runs for every event. */
  #listeners: ((event: EventInput) => void)[] = [];
  #items: Item[] = [];
  #scheduled = false;
  readonly #flushLater = () => this.flush();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Receive every event from now on, in order. Returns the unsubscribe function. */
  subscribe(listener: (event: EventInput) => void): () => void {
    this.#subscribed.add(listener);
    this.#listeners = [...this.#subscribed];
    return () => {
      this.#subscribed.delete(listener);
      this.#listeners = [...this.#subscribed];
    };
  }

  /** Queue wire events, or a function that builds them at delivery. */
  events(events: readonly EventInput[] | (() => readonly EventInput[])): void {
    if (typeof events !== "function" && events.length === 0) return;
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
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i]!;
      if (item.kind === "run") {
        try {
          item.run();
        } catch (err) {
          this.#logger.error("pipeline playout update failed", { error: String(err) });
        }
        continue;
      }
      const events = typeof item.events === "function" ? item.events() : item.events;
      for (let j = 0; j < events.length; j++) this.#deliver(events[j]!);
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
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event);
      } catch (err) {
        this.#logger.error("pipeline event listener failed", { type: event.type, error: String(err) });
      }
    }
  }
}
