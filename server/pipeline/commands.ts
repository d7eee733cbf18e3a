/**
 * Pipeline commands as the session machine sees them: the machine event
 * each one becomes (stt_start names its client, the audio owner to be; a
 * command that starts a turn names the connection's user), and
 * the error that refuses one the machine cannot take in its current state.
 * Whether it can is the machine's own rule (`snapshot.can`, asked by the
 * bridge); this module only words the refusal, and the answer to the
 * release of an utterance another command cut (`overtaken`). Pure functions.
 */
import type { Phase, UserEvent } from "../../machines/voice-types.js";
import { ProtocolError } from "../protocol/index.js";
import type { OvertakenUtterance } from "./audio-in.js";
import type { CommandSource, PipelineCommand } from "./pipeline.js";

/** The machine event for a pipeline command sent by `source`. */
export function toMachineEvent(command: PipelineCommand, source: CommandSource): UserEvent {
  switch (command.type) {
    case "stt_start":
      // The wire schema defaults mode; a caller that skipped decoding gets the same default.
      return { type: "user.listen", mode: command.data?.mode ?? "push_to_talk", client: source.clientId, echoCancellation: command.data?.echo_cancellation === true, ...user(source) };
    case "stt_stop":
      return { type: "user.stop_listening" };
    case "demo_flow":
      return command.data?.text === undefined ? { type: "user.demo", client: source.clientId, ...user(source) } : { type: "user.demo", text: command.data.text, client: source.clientId, ...user(source) };
    case "text_input":
      return { type: "user.text", text: command.data.text, client: source.clientId, ...user(source) };
    case "stop_speaking":
      return { type: "user.stop_speaking", client: source.clientId };
  }
}

/** The turn's user, when the source names one (the machine's default is `default`). */
function user(source: CommandSource): { userId?: string } {
  return source.userId === undefined ? {} : { userId: source.userId };
}

/** The error that refuses `command`, which the machine cannot take in `phase` (docs/voice-machine.md, "Commands the machine cannot take"). */
export function refusal(command: PipelineCommand, phase: Phase): ProtocolError {
  switch (command.type) {
    case "demo_flow":
      return new ProtocolError("busy", `A turn is running (state: ${phase}); wait until the assistant is idle or send stop_speaking`);
    case "stt_start":
      return new ProtocolError("invalid_state", "Already listening; send stt_stop to end the utterance");
    case "stt_stop":
      return new ProtocolError("invalid_state", phase === "idle" ? "Not listening" : `Not listening (state: ${phase}); stop_speaking stops the answer`);
    case "stop_speaking":
      return new ProtocolError("invalid_state", `Nothing to stop (state: ${phase})`);
    default:
      return new ProtocolError("busy", `The assistant cannot take ${command.type} now (state: ${phase})`);
  }
}

/**
 * The answer to an stt_stop from `clientId` whose utterance another
 * command cut (`overtaken`; docs/protocol.md, "Several clients in one
 * conversation"): what took over, and that there is nothing left to stop.
 */
export function overtakenRefusal(clientId: string, o: OvertakenUtterance): ProtocolError {
  const who = o.byClient === null ? "another question" : o.byClient === clientId ? "your own question" : `another client's question (${o.byClient})`;
  const by = o.by === null ? "" : ` (turn ${o.by})`;
  return new ProtocolError("overtaken", `Your utterance (turn ${o.turnId}) was dropped before it was heard: ${who} took over${by}. Nothing to stop; send stt_start to speak again`);
}

/** Whether `event` cuts a running turn when the machine takes it (so what was heard of its answer must be known first). */
export function mayCutTurn(event: UserEvent): boolean {
  return event.type === "user.stop_speaking" || event.type === "user.listen" || event.type === "user.text";
}
