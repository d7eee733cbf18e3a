/**
 * Messages between an embedded synthesiser's host (synth-worker.ts) and its
 * worker thread (synth-worker-body.ts, run by espeak-worker.ts and
 * flite-worker.ts). Both sides are this package's own code, so these are
 * plain types rather than zod schemas: nothing untrusted crosses here.
 */

/** Host to worker: synthesise one sentence with engine-specific settings. */
export interface WorkerRequest<S = unknown> {
  type: "synthesize";
  id: number;
  text: string;
  settings: S;
}

/** Worker to host. */
export type WorkerResponse =
  | { type: "ready"; loadMs: number }
  | { type: "result"; id: number; pcm: ArrayBuffer; synthMs: number }
  | { type: "error"; id: number; code: string; message: string }
  | { type: "fatal"; message: string };
