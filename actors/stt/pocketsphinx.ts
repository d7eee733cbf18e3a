/**
 * Offline speech recognition with CMU PocketSphinx, as packaged by Debian
 * (`pocketsphinx` 0.8+5prealpha: the `pocketsphinx_continuous` program;
 * `pocketsphinx-en-us`: the US English model under
 * /usr/share/pocketsphinx/model/en-us). No network, no download.
 *
 * One utterance = one `cat | pocketsphinx_continuous -infile /dev/stdin` process:
 * the audio is streamed to its stdin as raw 16 kHz s16le mono while it
 * arrives, and the program prints one line per speech segment it finds.
 * Lines that arrive while audio is still streaming become `partial` updates
 * (accumulated text); when the audio ends, stdin is closed and the final is
 * every segment's text joined by spaces (confidence null). Because the
 * program block-buffers stdout on a pipe, segments usually arrive together
 * at the end: expect few partials from this engine.
 *
 * Recognition runs in that child process, never on the event loop.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { INPUT_PCM } from "../audio.js";
import { convertPcm } from "../audio-resample.js";
import { EngineError } from "../engine-error.js";
import { findProgram } from "../find-program.js";
import { abortError } from "../http.js";
import type { Logger } from "../logger.js";
import { startProgram } from "../start-program.js";
import type { SttEngine, SttUpdate, TranscribeOptions } from "./types.js";

/** Options of the PocketSphinx engine; every field has a default. */
export interface PocketSphinxOptions {
  /** Program name (looked up on PATH) or absolute path. Default "pocketsphinx_continuous". */
  binary?: string;
  /** Model folder holding `en-us/` (acoustic model), `en-us.lm.bin` and `cmudict-en-us.dict`. Default "/usr/share/pocketsphinx/model/en-us". */
  modelDir?: string;
  /** How long recognition may take after the audio ends, in ms. Default 30000. */
  timeoutMs?: number;
  /** Environment for the PATH lookup and the child process. Default process.env. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export const POCKETSPHINX_DEFAULTS = {
  binary: "pocketsphinx_continuous",
  modelDir: "/usr/share/pocketsphinx/model/en-us",
  timeoutMs: 30_000,
} as const;

interface ModelPaths {
  hmm: string;
  lm: string;
  dict: string;
}

function modelPaths(modelDir: string): ModelPaths {
  return { hmm: join(modelDir, "en-us"), lm: join(modelDir, "en-us.lm.bin"), dict: join(modelDir, "cmudict-en-us.dict") };
}

/** The executable's path, or null when it is not installed. */
function findBinary(binary: string, env: NodeJS.ProcessEnv): string | null {
  return findProgram([binary], env)?.path ?? null;
}

/**
 * PocketSphinx through its command-line program.
 * @example if (PocketSphinxStt.isAvailable()) engine = new PocketSphinxStt();
 */
export class PocketSphinxStt implements SttEngine {
  readonly name = "pocketsphinx";
  readonly #binary: string;
  readonly #model: ModelPaths;
  readonly #timeoutMs: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #logger: Logger | undefined;

  /** True when the program is on PATH and the model files exist (i.e. both Debian packages are installed). */
  static isAvailable(options: Pick<PocketSphinxOptions, "binary" | "modelDir" | "env"> = {}): boolean {
    const env = options.env ?? process.env;
    if (findBinary(options.binary ?? POCKETSPHINX_DEFAULTS.binary, env) === null) return false;
    const model = modelPaths(options.modelDir ?? POCKETSPHINX_DEFAULTS.modelDir);
    return existsSync(join(model.hmm, "mdef")) && existsSync(model.lm) && existsSync(model.dict);
  }

  constructor(options: PocketSphinxOptions = {}) {
    this.#binary = options.binary ?? POCKETSPHINX_DEFAULTS.binary;
    this.#model = modelPaths(options.modelDir ?? POCKETSPHINX_DEFAULTS.modelDir);
    this.#timeoutMs = options.timeoutMs ?? POCKETSPHINX_DEFAULTS.timeoutMs;
    this.#env = options.env ?? process.env;
    this.#logger = options.logger;
    if (!(this.#timeoutMs > 0)) throw new TypeError("pocketsphinx timeoutMs must be positive");
  }

  async *transcribe(audio: AsyncIterable<Uint8Array>, { signal, format }: TranscribeOptions): AsyncGenerator<SttUpdate> {
    if (signal.aborted) throw abortError(signal);
    const path = findBinary(this.#binary, this.#env);
    if (path === null) {
      throw new EngineError(
        "stt_unavailable",
        `PocketSphinx (${this.#binary}) is not installed. Debian/Ubuntu: apt-get install pocketsphinx pocketsphinx-en-us.`,
      );
    }
    // Node's stdin "pipe" is a socketpair, which the program cannot fopen() as /dev/stdin; `cat`
    // turns it into a real pipe. The program path and arguments go in as positional parameters
    // (never interpolated into the script). The shell leads its own process group so one kill
    // stops cat and the recogniser together.
    const child = await startProgram(
      "/bin/sh",
      ["-c", 'cat | "$0" "$@"', path, "-infile", "/dev/stdin", "-hmm", this.#model.hmm, "-lm", this.#model.lm, "-dict", this.#model.dict],
      ["pipe", "pipe", "pipe"],
      { env: this.#env, detached: true },
      { code: "engine_error", what: "PocketSphinx" },
    );
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    // Updates flow from child callbacks to this generator through a small queue.
    const updates: SttUpdate[] = [];
    let wake: (() => void) | null = null;
    const notify = () => {
      wake?.();
      wake = null;
    };
    const segments: string[] = [];
    let audioEnded = false;
    let stdoutRest = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      const lines = (stdoutRest + text).split("\n");
      stdoutRest = lines.pop() ?? "";
      for (const line of lines) {
        const segment = line.trim();
        if (segment === "") continue;
        segments.push(segment);
        if (!audioEnded) updates.push({ kind: "partial", text: segments.join(" ") });
      }
      notify();
    });
    // Keep only the tail of stderr: the program logs a lot at INFO level; errors come last.
    let stderrTail = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      stderrTail = (stderrTail + text).slice(-4000);
    });
    child.stdin.on("error", () => {});
    let exit: { code: number | null; error: Error | null } | null = null;
    child.once("error", (error) => {
      exit = { code: null, error };
      notify();
    });
    child.once("close", (code) => {
      exit ??= { code, error: null };
      notify();
    });
    const onAbort = () => {
      kill();
      notify();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let feedError: unknown = null;

    const feeding = (async () => {
      let carry = new Uint8Array(0);
      const frameBytes = (format.sample_type === "s16le" ? 2 : 4) * format.channels;
      for await (const chunk of audio) {
        if (signal.aborted || exit !== null) return;
        let data = chunk;
        if (format !== INPUT_PCM && !sameFormat(format)) {
          // Convert whole frames only; a split frame waits for the next chunk.
          const joined = new Uint8Array(carry.byteLength + chunk.byteLength);
          joined.set(carry, 0);
          joined.set(chunk, carry.byteLength);
          const whole = joined.byteLength - (joined.byteLength % frameBytes);
          carry = joined.slice(whole);
          data = convertPcm(joined.subarray(0, whole), format, INPUT_PCM);
        }
        if (data.byteLength > 0 && !child.stdin.write(data)) {
          await new Promise<void>((resolve) => {
            child.stdin.once("drain", resolve);
            child.stdin.once("close", resolve);
          });
        }
      }
    })();
    void feeding
      .then(
        () => {
          audioEnded = true;
          child.stdin.end();
          timer = setTimeout(() => {
            timedOut = true;
            kill();
          }, this.#timeoutMs);
        },
        (err: unknown) => {
          feedError = err;
          kill();
        },
      )
      .finally(notify);

    try {
      for (;;) {
        while (updates.length > 0) yield updates.shift()!;
        if (signal.aborted) throw abortError(signal);
        if (feedError !== null) throw feedError;
        if (exit !== null) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const { code, error } = exit as { code: number | null; error: Error | null };
      if (stdoutRest.trim() !== "") segments.push(stdoutRest.trim());
      if (error !== null) throw new EngineError("engine_error", `PocketSphinx could not start: ${error.message}`, { cause: error });
      if (timedOut) throw new EngineError("timeout", `PocketSphinx did not finish within ${this.#timeoutMs} ms after the audio ended.`);
      if (code !== 0) {
        const detail = stderrTail.split("\n").filter((l) => /ERROR|FATAL/.test(l)).slice(-1)[0]?.trim() ?? `exit status ${code}`;
        this.#logger?.warn("pocketsphinx failed", { code });
        throw new EngineError("engine_error", `PocketSphinx failed: ${detail}`);
      }
      yield { kind: "final", text: segments.join(" "), confidence: null };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (exit === null) kill();
    }
  }

  async close(): Promise<void> {
    // One process per utterance; nothing stays open between them.
  }
}

function sameFormat(format: TranscribeOptions["format"]): boolean {
  return format.sample_rate === INPUT_PCM.sample_rate && format.sample_type === INPUT_PCM.sample_type && format.channels === INPUT_PCM.channels;
}
