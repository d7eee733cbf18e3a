/**
 * Messages between the eSpeak NG engine (espeak.ts) and its worker thread
 * (espeak-worker.ts). Both sides are this package's own code, so these are
 * plain types rather than zod schemas: nothing untrusted crosses here.
 */

/** Host to worker: synthesise one sentence. */
export interface WorkerRequest {
  type: "synthesize";
  id: number;
  text: string;
  voice: string;
  rate: number;
  pitch: number;
}

/** Worker to host. */
export type WorkerResponse =
  | { type: "ready"; loadMs: number }
  | { type: "result"; id: number; pcm: ArrayBuffer; synthMs: number }
  | { type: "error"; id: number; code: string; message: string }
  | { type: "fatal"; message: string };
