/**
 * What the WebSocket layer needs from the voice pipeline. The bridge
 * (server/bridge.ts) implements it on top of the voice machine; the server
 * works without one (pipeline commands are then refused as `unavailable`).
 */
import type { CommandOfType, EventData, EventInput, MachineState } from "./protocol/index.js";

export type PipelineCommandType = "stt_start" | "stt_stop" | "demo_flow" | "text_input" | "stop_speaking";
export type PipelineCommand = { [T in PipelineCommandType]: CommandOfType<T> }[PipelineCommandType];

/** The client a command came from. */
export interface CommandSource {
  clientId: string;
}

/** Synthesised audio for clients that asked to hear it. */
export interface AudioChunkOut {
  turnId: string;
  chunkIndex: number;
  pcm: Uint8Array;
}

export interface Pipeline {
  /**
   * Apply one validated command. Returns when the machine accepted it.
   * @throws ProtocolError `busy` | `invalid_state` | `unavailable` when it is refused; nothing changed then.
   */
  dispatch(command: PipelineCommand, source: CommandSource): void;
  /** Protocol-ready events, in order. The server validates, logs and broadcasts them. */
  subscribe(listener: (event: EventInput) => void): () => void;
  /** Coarse machine state for system_info and the welcome. */
  state(): MachineState;
  /** Engine name per stage, e.g. { stt: "scripted", llm: "builtin", ... }. */
  engines(): Record<string, string>;
  /** Latency statistics for get_performance_metrics. */
  metrics(): EventData<"performance_metrics">;
  /** Microphone PCM from a client (binary frame). @throws ProtocolError `unexpected_binary` when no stream from that client is open. */
  pushAudio?(source: CommandSource, chunk: Uint8Array): void;
  /** Synthesised audio, for clients that asked to hear it. */
  subscribeAudio?(listener: (chunk: AudioChunkOut) => void): () => void;
  /** Stop the machine and release engines; an active turn is interrupted (reason shutdown). */
  stop(): Promise<void>;
}
