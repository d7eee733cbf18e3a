/**
 * Replay one path of a model-based graph test on a fresh actor of the
 * voice machines: each step's event is sent (the first, xstate.init, is the
 * start), the live snapshot must serialise as the path's state, the test's
 * own checks run on it, and at the end what the actor emitted must obey the
 * shared rules (emitted-rules.ts). Shared by the session and turn graph
 * tests.
 */
import { expect } from "vitest";
import type { StatePath } from "xstate/graph";
import type { EventObject, Snapshot } from "xstate";
import type { Phase, VoiceEmitted } from "../../machines/voice-types.js";
import { checkEmitted } from "./emitted-rules.js";

/** The part of an XState actor a replay drives. */
export interface ReplayActor<TSnapshot, TEvent> {
  on(type: "*", listener: (emitted: VoiceEmitted) => void): unknown;
  start(): unknown;
  send(event: TEvent): void;
  getSnapshot(): TSnapshot;
  stop(): unknown;
}

/**
 * Drive `actor` along `path`, checking each step with `check(live, emitted)`;
 * the actor is stopped whatever happens. `options.subscribe` collects what it
 * emits (default: `actor.on("*")`).
 */
export function replayPath<TSnapshot extends Snapshot<unknown>, TEvent extends EventObject>(
  actor: ReplayActor<TSnapshot, TEvent>,
  path: StatePath<TSnapshot, TEvent>,
  serialize: (s: TSnapshot) => string,
  check: (live: TSnapshot, emitted: VoiceEmitted[]) => void,
  options: {
    initialPhase?: Phase;
    subscribe?: (actor: ReplayActor<TSnapshot, TEvent>, listener: (emitted: VoiceEmitted) => void) => unknown;
    /** Check the live snapshot against the path's (default: they serialise the same). */
    compare?: (live: TSnapshot, pure: TSnapshot) => void;
  } = {},
): void {
  const emitted: VoiceEmitted[] = [];
  // The session's stream includes its turns' events only through onVoiceEmitted (machines/emitted.ts).
  if (options.subscribe) options.subscribe(actor, (e) => emitted.push(e));
  else actor.on("*", (e) => emitted.push(e));
  actor.start();
  try {
    for (const step of path.steps) {
      if ((step.event.type as string) !== "xstate.init") actor.send(step.event);
      const live = actor.getSnapshot();
      if (options.compare) options.compare(live, step.state);
      else expect(serialize(live)).toBe(serialize(step.state));
      check(live, emitted);
    }
    checkEmitted(emitted, options.initialPhase);
  } finally {
    actor.stop();
  }
}
