/**
 * Optional speech engine: the Festival speech synthesis system, as packaged
 * by Debian (`festival`, and a voice such as `festvox-us-slt-hts`), through
 * its `text2wave` program. Not embedded: it is used only when chosen
 * (`--tts-engine festival`) and installed, as PocketSphinx is for
 * recognition.
 *
 * One sentence = one `text2wave` process: the text goes to its stdin, a
 * 16 kHz RIFF WAV comes back on stdout and is streamed out as PCM while it
 * arrives (Festival writes it when the sentence is synthesised). Festival
 * loads its voice for every process, so a sentence costs about a second
 * here; it runs in that child process, never on the event loop.
 *
 * - Abort kills the process at once; nothing is yielded after.
 * - A program that cannot be started (not installed, EMFILE, ...) is an
 *   EngineError, never an uncaught 'error' event: the listener is attached
 *   before the pipes are touched, and a spawn that failed with EMFILE has no
 *   pipes at all.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { PcmFormat } from "../audio.js";
import { EngineError } from "../engine-error.js";
import { findProgram } from "../find-program.js";
import { abortError } from "../http.js";
import { concatBytes, stripWavHeader } from "../wav.js";
import { chunkBytesFor, slicePcm } from "./synth-worker.js";
import type { TtsEngine } from "./types.js";

/** Festival's output as requested from text2wave: 16 kHz, 16-bit, mono. */
export const FESTIVAL_PCM: PcmFormat = { sample_rate: 16000, sample_type: "s16le", channels: 1 };

/** The voice of Debian's festvox-us-slt-hts, the clearest packaged one. */
export const DEFAULT_FESTIVAL_VOICE = "cmu_us_slt_arctic_hts";
/** Where Debian's voice packages put their voices (one folder per language family, then per voice). */
const VOICE_ROOT = "/usr/share/festival/voices";
const VOICE_PATTERN = /^[a-z0-9_]{1,64}$/;

export interface FestivalTtsOptions {
  /** Festival voice name (a folder under /usr/share/festival/voices/<family>/). Default "cmu_us_slt_arctic_hts". */
  voice?: string;
  /** Program name (looked up on PATH) or absolute path. Default "text2wave". */
  program?: string;
  /** Length of each yielded PCM chunk in milliseconds, 10..2000. Default 100. */
  chunkMs?: number;
  /** Folder holding the voices. Default /usr/share/festival/voices. */
  voiceRoot?: string;
  /** Environment for the PATH lookup and the child process. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Whether `voice` is installed under `root`. */
function voiceInstalled(voice: string, root: string): boolean {
  if (!existsSync(root)) return false;
  return readdirSync(root).some((family) => existsSync(join(root, family, voice)));
}

/**
 * Festival through `text2wave`.
 * @example
 * if (FestivalTts.missing() === null) tts = new FestivalTts();
 */
export class FestivalTts implements TtsEngine {
  readonly name = "festival";
  readonly voice: string;
  readonly format: PcmFormat = FESTIVAL_PCM;
  /** The program that is run. */
  readonly program: string;
  readonly #chunkBytes: number;
  readonly #voiceRoot: string;
  readonly #env: NodeJS.ProcessEnv;

  /**
   * Null when Festival and the voice are installed; otherwise the message
   * that says what to install.
   */
  static missing(options: Pick<FestivalTtsOptions, "voice" | "program" | "voiceRoot" | "env"> = {}): string | null {
    const program = options.program ?? "text2wave";
    const voice = options.voice ?? DEFAULT_FESTIVAL_VOICE;
    if (findProgram([program], options.env ?? process.env) === null) {
      return `Festival (${program}) is not installed. Debian/Ubuntu: apt-get install festival festvox-us-slt-hts`;
    }
    if (!voiceInstalled(voice, options.voiceRoot ?? VOICE_ROOT)) {
      const hint = voice === DEFAULT_FESTIVAL_VOICE ? "apt-get install festvox-us-slt-hts" : "install the festvox package that provides it";
      return `Festival voice "${voice}" is not installed (${hint})`;
    }
    return null;
  }

  constructor(options: FestivalTtsOptions = {}) {
    this.voice = options.voice ?? DEFAULT_FESTIVAL_VOICE;
    this.program = options.program ?? "text2wave";
    this.#voiceRoot = options.voiceRoot ?? VOICE_ROOT;
    this.#env = options.env ?? process.env;
    const chunkMs = options.chunkMs ?? 100;
    // The voice name becomes a Scheme call: only plain names, never an expression.
    if (!VOICE_PATTERN.test(this.voice)) throw new TypeError(`festival voice "${this.voice}" is not a valid voice name (letters, digits, _)`);
    if (!(chunkMs >= 10 && chunkMs <= 2000)) throw new TypeError("festival chunkMs must be between 10 and 2000");
    this.#chunkBytes = chunkBytesFor(FESTIVAL_PCM.sample_rate, chunkMs);
  }

  async *synthesize(text: string, { signal }: { signal: AbortSignal }): AsyncGenerator<Uint8Array> {
    if (signal.aborted) throw abortError(signal);
    if (!/\S/.test(text)) return;
    const missing = FestivalTts.missing({ voice: this.voice, program: this.program, voiceRoot: this.#voiceRoot, env: this.#env });
    if (missing !== null) throw new EngineError("tts_unavailable", missing);
    const path = findProgram([this.program], this.#env)!.path;
    const child = spawn(path, ["-eval", `(voice_${this.voice})`, "-F", String(FESTIVAL_PCM.sample_rate), "-otype", "riff", "-o", "-"], {
      env: this.#env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    // Attached before anything else: a failed spawn reports here, asynchronously.
    const exited = new Promise<{ code: number | null; error: Error | null }>((resolve) => {
      child.once("error", (error) => resolve({ code: null, error }));
      child.once("close", (code) => resolve({ code, error: null }));
    });
    const startFailure = (error: Error) => new EngineError("engine_error", `Festival (${this.program}) could not start: ${error.message}`, { cause: error });
    const { stdin, stdout, stderr } = child;
    if (stdin === null || stdout === null || stderr === null) {
      // EMFILE/ENFILE: Node gives up before creating the pipes.
      const { error } = await exited;
      throw startFailure(error ?? new Error("no pipes"));
    }
    let errors = "";
    stderr.setEncoding("utf8");
    stderr.on("data", (chunk: string) => {
      if (errors.length < 2000) errors += chunk;
    });
    // A process that dies early makes the write fail with EPIPE; the exit status explains it.
    stdin.on("error", () => {});
    stdin.end(`${text}\n`);
    const processFailure = async (): Promise<EngineError | null> => {
      const { code, error } = await exited;
      if (error !== null) return startFailure(error);
      if (code === 0) return null;
      const detail = errors.trim().split("\n").slice(-1)[0] ?? "";
      return new EngineError("engine_error", `Festival exited with status ${code}${detail ? `: ${detail}` : ""}`);
    };
    const onAbort = () => child.kill("SIGKILL");
    signal.addEventListener("abort", onAbort, { once: true });
    let format: PcmFormat | null = null;
    // Pipe reads come in any size (even odd ones, splitting a sample): re-cut them into whole chunks.
    let pending: Uint8Array = new Uint8Array(0);
    try {
      try {
        for await (const pcm of stripWavHeader(stdout, (f) => (format = f))) {
          if (signal.aborted) throw abortError(signal);
          const got = format as PcmFormat | null;
          if (got === null || got.sample_rate !== FESTIVAL_PCM.sample_rate || got.channels !== 1 || got.sample_type !== "s16le") {
            throw new EngineError("audio_error", `Festival produced ${JSON.stringify(got)} instead of 16 kHz 16-bit mono`);
          }
          pending = concatBytes(pending, pcm);
          const whole = pending.byteLength - (pending.byteLength % this.#chunkBytes);
          yield* slicePcm(pending.subarray(0, whole), this.#chunkBytes, signal);
          pending = pending.slice(whole);
        }
      } catch (err) {
        // A failed start or a failing program also ends stdout early; their errors say more than the WAV parser's.
        if (signal.aborted) throw abortError(signal);
        throw (await processFailure()) ?? err;
      }
      const failure = await processFailure();
      if (signal.aborted) throw abortError(signal);
      if (failure !== null) throw failure;
      const rest = pending.subarray(0, pending.byteLength - (pending.byteLength % 2));
      if (rest.byteLength > 0) yield rest;
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }

  async close(): Promise<void> {}
}
