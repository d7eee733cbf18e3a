/** Messages between the Silero model (vad-silero.ts) and its worker thread (vad-silero-worker.ts). */

/** Score one frame: CONTEXT + FRAME samples and the stream's recurrent state. */
export interface SileroRequest {
  id: number;
  input: Float32Array;
  state: Float32Array;
}

export type SileroResponse =
  | { type: "ready" }
  | { type: "score"; id: number; probability: number; state: Float32Array }
  | { type: "error"; id: number; message: string }
  | { type: "fatal"; message: string };
