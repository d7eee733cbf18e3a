/**
 * Microphone audio streamed by one client (binary frames) as the STT
 * stage's AudioSource. The stream belongs to the client that started
 * listening; chunks from anyone else are refused. While no utterance is
 * being recognised (the assistant is answering) chunks are dropped: there is
 * no one to hand them to. A recogniser that falls behind does not grow
 * memory without bound: past `maxQueuedBytes` the oldest chunks are dropped.
 */
import { INPUT_PCM, type PcmFormat } from "../actors/audio.js";
import type { AudioSource } from "../actors/stt/types.js";

export interface ClientAudioOptions {
  /** Bytes kept for a recogniser that has not read them yet. Default 1 MiB (~33 s of 16 kHz s16le). */
  maxQueuedBytes?: number;
}

/** Client microphone audio; see the module comment. */
export class ClientAudioInput implements AudioSource {
  readonly kind = "client" as const;
  readonly format: PcmFormat = INPUT_PCM;
  /** The client whose stream is open, or null. */
  owner: string | null = null;
  /** Chunks dropped because no recogniser was reading or the queue was full. */
  dropped = 0;
  readonly #max: number;
  #reader: { queue: Uint8Array[]; bytes: number; wake: (() => void) | null } | null = null;

  constructor(options: ClientAudioOptions = {}) {
    this.#max = options.maxQueuedBytes ?? 1 << 20;
  }

  /** Accept a chunk from the owner. Returns false when it was dropped. */
  push(chunk: Uint8Array): boolean {
    const r = this.#reader;
    if (!r) {
      this.dropped++;
      return false;
    }
    r.queue.push(chunk);
    r.bytes += chunk.byteLength;
    while (r.bytes > this.#max && r.queue.length > 1) {
      r.bytes -= r.queue.shift()!.byteLength;
      this.dropped++;
    }
    r.wake?.();
    return true;
  }

  /**
   * One utterance's audio: chunks pushed from now on. When `signal` aborts
   * (stt_stop or cancellation) the chunks already received are still handed
   * over, then the stream ends.
   */
  open(signal: AbortSignal): AsyncIterable<Uint8Array> {
    const reader = { queue: [] as Uint8Array[], bytes: 0, wake: null as (() => void) | null };
    this.#reader = reader;
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const onAbort = () => reader.wake?.();
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          while (true) {
            const chunk = reader.queue.shift();
            if (chunk) {
              reader.bytes -= chunk.byteLength;
              yield chunk;
              continue;
            }
            if (signal.aborted) return;
            await new Promise<void>((resolve) => (reader.wake = resolve));
            reader.wake = null;
          }
        } finally {
          signal.removeEventListener("abort", onAbort);
          if (self.#reader === reader) self.#reader = null;
        }
      },
    };
  }
}
