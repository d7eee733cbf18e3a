/**
 * Where utterance audio comes from. Every source yields INPUT_PCM (16 kHz,
 * s16le, mono) chunks:
 *
 * - ClientAudioSource: PCM a client streams in binary WebSocket frames. The
 *   server (server/pipeline/audio-in.ts) sets its `owner` to the session
 *   machine's audio owner and calls `push(frame)` per frame from that client; audio is kept only while a
 *   recogniser reads, and at most `maxQueuedMs` (default 30000 ms) waits
 *   unread (the oldest is dropped past that).
 * - MicrophoneSource: the machine's own microphone through `arecord`
 *   (alsa-utils) or sox's `rec`, whichever is found first on PATH.
 * - FileSource: a WAV file named in the server's own configuration, decoded
 *   and converted to INPUT_PCM. The path is fixed at construction; no method
 *   takes a path, so nothing a client sends can make the server open a file.
 *
 * Readers: `open(signal)` returns a reader that ends when the source ends or
 * `signal` aborts. For ClientAudioSource, each utterance opens its own
 * reader; one closed early (a `break`, or the VAD ending the utterance)
 * detaches, so continuous mode opens the next reader for the next utterance.
 * A barge-in by voice hands the speech that triggered it to the next reader
 * (`preroll`), so the new utterance starts with the user's first words.
 */
import { readFile } from "node:fs/promises";
import { INPUT_PCM, type PcmFormat } from "../audio.js";
import { convertPcm } from "../audio-resample.js";
import { findProgram } from "../find-program.js";
import { EngineError } from "../engine-error.js";
import { startProgram } from "../start-program.js";
import { decodeWav } from "../wav.js";
import type { AudioSource } from "./types.js";

const BYTES_PER_MS = (INPUT_PCM.sample_rate * 2) / 1000;

/** Options of ClientAudioSource. */
export interface ClientAudioSourceOptions {
  /** Most audio waiting unread by the recogniser, in ms; past it the oldest chunks are dropped. Default 30000 (960 KB). */
  maxQueuedMs?: number;
}

/**
 * PCM one client streams in binary frames, as the STT stage's audio source:
 * a bounded push queue per utterance.
 * - The stream belongs to one client (`owner`, the session machine's audio
 *   owner: set on stt_start, cleared at rest); the server refuses frames from anyone else.
 * - Audio is only kept while a recogniser is reading (`open`): chunks pushed
 *   while no utterance is being recognised (the assistant is answering) are
 *   dropped, since nobody would hear them and they would be heard late.
 * - Bounded: past `maxQueuedMs` of unread audio the oldest chunks are
 *   dropped (a recogniser that fell behind hears the latest speech).
 * - `preroll(chunks)`: audio heard before the utterance opened (the speech
 *   that barged in) that the next reader gets first. Forgotten when the
 *   owner changes.
 * @example
 * const source = new ClientAudioSource();
 * source.owner = "c1";
 * socket.on("message", (data, isBinary) => isBinary && source.push(data));
 * for await (const update of stt.transcribe(source.open(signal), { signal, format: source.format })) ...
 */
export class ClientAudioSource implements AudioSource {
  readonly kind = "client";
  readonly format: PcmFormat = INPUT_PCM;
  readonly #maxQueuedBytes: number;
  #owner: string | null = null;
  #droppedBytes = 0;
  #reader: { queue: Uint8Array[]; bytes: number; wake: (() => void) | null } | null = null;
  /** Audio kept for the next reader (see `preroll`). */
  #preroll: Uint8Array[] = [];

  constructor(options: ClientAudioSourceOptions = {}) {
    const maxQueuedMs = options.maxQueuedMs ?? 30_000;
    if (!(maxQueuedMs > 0)) throw new TypeError("client audio maxQueuedMs must be positive");
    this.#maxQueuedBytes = Math.floor(maxQueuedMs * BYTES_PER_MS);
  }

  /** The client whose stream is open, or null. A new owner starts without any pre-roll. */
  get owner(): string | null {
    return this.#owner;
  }
  set owner(client: string | null) {
    if (client !== this.#owner) this.#preroll = [];
    this.#owner = client;
  }

  /** Bytes dropped because no recogniser was reading or the queue was full. */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  /** True while a recogniser is reading (an utterance is open). */
  get reading(): boolean {
    return this.#reader !== null;
  }

  /**
   * Add one chunk of 16 kHz s16le mono PCM (copied: the caller's buffer may
   * be reused). Returns false when it was dropped because no recogniser is reading.
   */
  push(chunk: Uint8Array): boolean {
    const r = this.#reader;
    if (!r) {
      this.#droppedBytes += chunk.byteLength;
      return false;
    }
    if (chunk.byteLength === 0) return true;
    r.queue.push(chunk.slice());
    r.bytes += chunk.byteLength;
    while (r.bytes > this.#maxQueuedBytes && r.queue.length > 1) {
      const old = r.queue.shift()!;
      r.bytes -= old.byteLength;
      this.#droppedBytes += old.byteLength;
    }
    r.wake?.();
    return true;
  }

  /**
   * Audio captured before the next utterance opened (the speech that started
   * it: a barge-in by voice). The next `open` yields these chunks first, then
   * what is pushed from then on; with a reader already open they go to it
   * now. Replaces pre-roll not yet taken. Bounded like the queue.
   */
  preroll(chunks: readonly Uint8Array[]): void {
    if (this.#reader) {
      for (const chunk of chunks) this.push(chunk);
      return;
    }
    const kept = chunks.map((c) => c.slice());
    let bytes = kept.reduce((n, c) => n + c.byteLength, 0);
    while (bytes > this.#maxQueuedBytes && kept.length > 1) {
      const old = kept.shift()!;
      bytes -= old.byteLength;
      this.#droppedBytes += old.byteLength;
    }
    this.#preroll = kept;
  }

  /**
   * One utterance's audio: the pre-roll (if any), then the chunks pushed from now on. When `signal`
   * aborts (stt_stop or cancellation) the chunks already received are still
   * handed over, then the stream ends. A reader closed early (a `break`, or
   * the VAD ending the utterance) detaches, and chunks are dropped again until
   * the next `open`. A newer reader replaces an older one.
   */
  open(signal: AbortSignal): AsyncIterable<Uint8Array> {
    const queue = this.#preroll;
    this.#preroll = [];
    const reader = { queue, bytes: queue.reduce((n, c) => n + c.byteLength, 0), wake: null as (() => void) | null };
    const previous = this.#reader;
    this.#reader = reader;
    previous?.wake?.(); // a replaced reader ends instead of waiting for audio that now goes elsewhere
    // A generator cannot be an arrow function; it reaches the private reader through this alias.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const source = this;
    async function* read(): AsyncGenerator<Uint8Array> {
      const onAbort = () => reader.wake?.();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        while (source.#reader === reader) {
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
        if (source.#reader === reader) source.#reader = null;
      }
    }
    return read();
  }
}

/** The recorders MicrophoneSource looks for, in order. */
export const RECORDER_NAMES = ["arecord", "rec"] as const;
export type RecorderName = (typeof RECORDER_NAMES)[number];

/** A recorder found on PATH. */
export interface Recorder {
  name: RecorderName;
  path: string;
}

/** The message given when no recorder is installed. */
export const NO_RECORDER_MESSAGE =
  "No audio recorder found on PATH for the local microphone: install arecord (alsa-utils) or rec (sox), or start without the microphone flag.";

/** Find arecord or rec on `env.PATH`; null when neither is installed. */
export function findRecorder(env: NodeJS.ProcessEnv = process.env): Recorder | null {
  return findProgram(RECORDER_NAMES, env);
}

/** Arguments that make `name` record 16 kHz s16le mono raw PCM to stdout (from `device` when given). */
export function recorderArgs(name: RecorderName, device?: string): string[] {
  if (name === "arecord") return ["-q", ...(device ? ["-D", device] : []), "-t", "raw", "-f", "S16_LE", "-r", "16000", "-c", "1", "-"];
  // sox reads the device from AUDIODEV; its format options before "-" describe the output.
  return ["-q", "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-r", "16000", "-c", "1", "-"];
}

/** Options of MicrophoneSource. */
export interface MicrophoneSourceOptions {
  /** The recorder to use; default: the first of arecord, rec on PATH. */
  recorder?: Recorder;
  /** ALSA device for arecord (e.g. "plughw:1,0"); for rec, set AUDIODEV in `env`. Default: the system default. */
  device?: string;
  env?: NodeJS.ProcessEnv;
}

/** The machine's microphone, recorded by arecord or sox's rec while a reader is open. */
export class MicrophoneSource implements AudioSource {
  readonly kind = "microphone";
  readonly format: PcmFormat = INPUT_PCM;
  readonly recorder: Recorder;
  readonly #device: string | undefined;
  readonly #env: NodeJS.ProcessEnv;

  /** Throws EngineError `audio_error` (NO_RECORDER_MESSAGE) when no recorder is installed. */
  constructor(options: MicrophoneSourceOptions = {}) {
    this.#env = options.env ?? process.env;
    const recorder = options.recorder ?? findRecorder(this.#env);
    if (recorder === null) throw new EngineError("audio_error", NO_RECORDER_MESSAGE);
    this.recorder = recorder;
    this.#device = options.device;
  }

  /** Record until `signal` aborts or the reader is closed; the recorder process is then killed. */
  open(signal: AbortSignal): AsyncIterable<Uint8Array> {
    const { recorder } = this;
    const args = recorderArgs(recorder.name, this.#device);
    const env = this.#env;
    async function* reader(): AsyncGenerator<Uint8Array> {
      if (signal.aborted) return;
      const child = await startProgram(recorder.path, args, ["ignore", "pipe", "pipe"], { env }, { code: "audio_error", what: `Recorder ${recorder.name}` });
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (t: string) => {
        stderr = (stderr + t).slice(-2000);
      });
      const exited = new Promise<{ code: number | null; error: Error | null }>((resolve) => {
        child.once("error", (error) => resolve({ code: null, error }));
        child.once("close", (code) => resolve({ code, error: null }));
      });
      const onAbort = () => child.kill("SIGTERM");
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        for await (const chunk of child.stdout) {
          if (signal.aborted) return;
          yield new Uint8Array(chunk as Buffer);
        }
        const { code, error } = await exited;
        if (signal.aborted) return;
        if (error !== null) throw new EngineError("audio_error", `Recorder ${recorder.name} could not start: ${error.message}`, { cause: error });
        if (code !== 0) {
          const detail = stderr.trim().split("\n").slice(-1)[0] ?? "";
          throw new EngineError("audio_error", `Recorder ${recorder.name} exited with status ${code}${detail ? `: ${detail}` : ""}`);
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      }
    }
    return reader();
  }
}

/** Options of FileSource. */
export interface FileSourceOptions {
  /** Path of a WAV file (16-bit PCM or 32-bit float, any rate, mono or stereo), from the server's configuration only. */
  path: string;
  /** Length of each chunk, in ms. Default 100. */
  chunkMs?: number;
  /** Pace chunks in real time (as a microphone would deliver them). Default false: as fast as they are read. */
  realtime?: boolean;
  /** Largest file accepted, in bytes. Default 50 MB. */
  maxBytes?: number;
}

/** A configured WAV file played as an utterance. Each `open` reads the file again (it may have changed). */
export class FileSource implements AudioSource {
  readonly kind = "file";
  readonly format: PcmFormat = INPUT_PCM;
  readonly path: string;
  readonly #chunkBytes: number;
  readonly #chunkMs: number;
  readonly #realtime: boolean;
  readonly #maxBytes: number;

  constructor(options: FileSourceOptions) {
    if (typeof options.path !== "string" || options.path === "") throw new TypeError("file source needs a path");
    this.path = options.path;
    this.#chunkMs = options.chunkMs ?? 100;
    if (!(this.#chunkMs >= 10 && this.#chunkMs <= 5000)) throw new TypeError("file source chunkMs must be between 10 and 5000");
    this.#chunkBytes = Math.round(this.#chunkMs * BYTES_PER_MS / 2) * 2;
    this.#realtime = options.realtime ?? false;
    this.#maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  }

  /** Throws EngineError `audio_error` when the file cannot be read or is not a PCM WAV. */
  open(signal: AbortSignal): AsyncIterable<Uint8Array> {
    const { path } = this;
    const chunkBytes = this.#chunkBytes;
    const chunkMs = this.#chunkMs;
    const realtime = this.#realtime;
    const maxBytes = this.#maxBytes;
    async function* reader(): AsyncGenerator<Uint8Array> {
      if (signal.aborted) return;
      let bytes: Uint8Array;
      try {
        bytes = await readFile(path, { signal });
      } catch (err) {
        if (signal.aborted) return;
        const code = (err as { code?: string }).code ?? (err as Error).message;
        throw new EngineError("audio_error", `Cannot read the configured audio file ${path} (${code}).`, { cause: err });
      }
      if (bytes.byteLength > maxBytes) throw new EngineError("audio_error", `The configured audio file ${path} is larger than ${maxBytes} bytes.`);
      const wav = decodeWav(bytes);
      const pcm = convertPcm(wav.data, wav.format, INPUT_PCM);
      for (let at = 0; at < pcm.byteLength; at += chunkBytes) {
        if (signal.aborted) return;
        if (realtime && at > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, chunkMs);
            function done() {
              clearTimeout(timer);
              signal.removeEventListener("abort", done);
              resolve();
            }
            signal.addEventListener("abort", done, { once: true });
          });
          if (signal.aborted) return;
        }
        yield pcm.subarray(at, at + chunkBytes);
      }
    }
    return reader();
  }
}
