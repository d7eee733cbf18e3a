/**
 * One ordered stream of a session's domain events: the session machine's
 * own (turn.started, the cut events of an interrupted turn, idle/stopped)
 * and those of the turn it runs, which the turn machine emits itself. The
 * turn's events are not passed through the session (one more machine step
 * per token and per audio chunk); instead the listener is attached to each
 * turn actor when the session announces it (`turn.started` is emitted in
 * the step that invokes the turn, before the turn starts, so nothing of the
 * turn is missed) and detached when the next one starts. Events of any turn
 * but the one announced last are dropped. No I/O: this only wires listeners.
 * @example
 * const actor = createActor(withStageActors(actors));
 * const sub = onVoiceEmitted(actor, (e) => console.log(e.type));
 * actor.start();
 */
import type { Actor, Subscription } from "xstate";
import type { VoiceMachine } from "./voice.js";
import type { VoiceEmitted } from "./voice-types.js";

/** Call `listener` with every domain event of the session and of its running turn, in order. */
export function onVoiceEmitted(session: Actor<VoiceMachine>, listener: (e: VoiceEmitted) => void): Subscription {
  let turn: Subscription | null = null;
  /** Listen to the session's running turn, `id`, and to no other. */
  function follow(id: string): void {
    turn?.unsubscribe();
    turn = null;
    const ref = session.getSnapshot().children.turn;
    // The turn that the session has just invoked; anything else is a bug in the machine's shape.
    if (ref?.getSnapshot().context.id !== id) throw new Error(`The session announced turn ${id} but runs ${ref?.id ?? "no turn"}`);
    turn = ref.on("*", (e) => {
      if (e.turnId === id) listener(e);
    });
  }
  const own = session.on("*", (e) => {
    listener(e);
    if (e.type === "turn.started") follow(e.turnId);
  });
  // Subscribed while a turn runs: the rest of that turn too.
  const running = session.getSnapshot().children.turn?.getSnapshot();
  if (running?.status === "active") follow(running.context.id);
  return {
    unsubscribe() {
      own.unsubscribe();
      turn?.unsubscribe();
      turn = null;
    },
  };
}
