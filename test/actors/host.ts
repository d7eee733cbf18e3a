/**
 * Runs one stage actor under a tiny parent machine for tests: records every
 * event the actor sends back, can send it events, and stops it by leaving
 * the state (the way the voice machine stops its stage actors).
 */
import { assign, createActor, sendTo, setup, type AnyActorLogic, type AnyEventObject } from "xstate";

export interface Hosted {
  /** Events the actor sent back, in order (promise actors: their done/error events). */
  received: AnyEventObject[];
  /** Forward an event to the actor. */
  send(event: AnyEventObject): void;
  /** Leave the invoking state: the actor is stopped. */
  stopChild(): void;
  /** Resolve once `predicate` holds for a received event. */
  waitFor(predicate: (e: AnyEventObject) => boolean): Promise<AnyEventObject>;
  close(): void;
}

export function host(logic: AnyActorLogic, input: unknown): Hosted {
  const received: AnyEventObject[] = [];
  const waiters = new Set<{ p: (e: AnyEventObject) => boolean; r: (e: AnyEventObject) => void }>();
  const parent = setup({ actors: { child: logic } }).createMachine({
    initial: "running",
    states: {
      running: {
        invoke: { id: "child", src: "child", input: () => input },
        on: {
          "host.stop": "stopped",
          "host.forward": { actions: sendTo("child", ({ event }) => (event as unknown as { inner: AnyEventObject }).inner) },
          "*": {
            actions: assign(({ event }) => {
              received.push(event);
              for (const w of waiters) {
                if (!w.p(event)) continue;
                waiters.delete(w);
                w.r(event);
              }
              return {};
            }),
          },
        },
      },
      stopped: {},
    },
  });
  const actor = createActor(parent).start();
  return {
    received,
    send: (inner) => actor.send({ type: "host.forward", inner } as never),
    stopChild: () => actor.send({ type: "host.stop" }),
    waitFor(p) {
      const seen = received.find(p);
      if (seen) return Promise.resolve(seen);
      return new Promise((r, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; received: ${received.map((e) => e.type).join(", ")}`)), 3000);
        waiters.add({ p, r: (e) => (clearTimeout(timer), r(e)) });
      });
    },
    close: () => actor.stop(),
  };
}

