/**
 * What the WebSocket layer needs from the voice pipeline. The bridge
 * (server/pipeline/bridge.ts) implements it on top of the voice machine; the server
 * works without one (pipeline commands are then refused as `unavailable`).
 */
import type { AudioOutput, AudioSink } from "./playout.js";
import type { CommandOfType, EventData, EventInput, MachineState } from "../protocol/index.js";

export type PipelineCommandType = "stt_start" | "stt_stop" | "demo_flow" | "text_input" | "stop_speaking";
export type PipelineCommand = { [T in PipelineCommandType]: CommandOfType<T> }[PipelineCommandType];

/** The client a command came from. */
export interface CommandSource {
  clientId: string;
  /**
   * The connection's user (`?user=`, or a scoped token's claim): a turn the
   * command starts recalls and stores that user's memories, and its tools act
   * for that user. Default `default`.
   */
  userId?: string;
}

export interface Pipeline {
  /**
   * Apply one validated command. Returns when the machine accepted it.
   * @throws ProtocolError `busy` | `invalid_state` | `overtaken` | `unavailable` when it is refused; nothing changed then.
   */
  dispatch(command: PipelineCommand, source: CommandSource): void;
  /** Protocol-ready events, in order. The server validates, logs and broadcasts them. */
  subscribe(listener: (event: EventInput) => void): () => void;
  /** Coarse machine state for system_info and the welcome. */
  state(): MachineState;
  /** Engine name per stage, e.g. { stt: "scripted", llm: "builtin", ... }. */
  engines(): Record<string, string>;
  /** The voice the speech engine speaks with (as tts_start.voice names it), for system_info. */
  voice?(): string;
  /** Latency statistics for get_performance_metrics. */
  metrics(): EventData<"performance_metrics">;
  /**
   * A client disconnected. If it owns the voice session's audio (it sent
   * stt_start), the utterance being heard fails (its recogniser reports
   * stt_error `client_gone`) and the machine rests; while the answer plays,
   * the session ends after it.
   */
  clientGone?(clientId: string): void;
  /** Microphone PCM from a client (binary frame). @throws ProtocolError `unexpected_binary` when no stream from that client is open. */
  pushAudio?(source: CommandSource, chunk: Uint8Array): void;
  /**
   * Register a place that plays synthesised speech (an audio client, the
   * local speakers). Its audio is paced to its own playout (server/pipeline/playout.ts);
   * `reports: true` declares that it will report its progress (then its
   * reports, not an estimate, say when it has finished).
   * @throws TypeError when `id` is already registered.
   */
  openAudioOutput?(id: string, sink: AudioSink, options?: { reports?: boolean }): AudioOutput;
  /** Stop the machine and release engines; an active turn is interrupted (reason shutdown). */
  stop(): Promise<void>;
}
