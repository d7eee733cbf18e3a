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
 * Recognition runs in that child process, never on the event loop. At most
 * `maxProcesses` run at once (the `enginePoolSize` setting, default the core
 * count: more would only share the same cores); an utterance beyond that
 * waits in line (../engine-pool.ts) while its audio is read and held, so the
 * voice-activity detector in front of it still ends it on time, and its
 * wait is reported (`onQueued`, the latency trace's `stt_queued_ms`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { INPUT_PCM } from "../audio.js";
import { convertPcm } from "../audio-resample.js";
import { EngineError } from "../engine-error.js";
import { findProgram } from "../find-program.js";
import { abortError } from "../http.js";
import type { Logger } from "../logger.js";
import { defaultPoolSize, EnginePool, type EnginePoolStats, type Lease } from "../engine-pool.js";
import { startProgram, type StartedProgram } from "../start-program.js";
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
  /**
   * Most recognitions running at once (one process each; the `enginePoolSize`
   * setting). More wait in line, first come, first served, reading their audio
   * meanwhile. Default: the core count.
   */
  maxProcesses?: number;
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
  /** One slot per process that may run; an utterance holds one from its start to its process's exit. */
  readonly #slots: EnginePool<number>;

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
    const maxProcesses = options.maxProcesses ?? defaultPoolSize();
    if (!Number.isInteger(maxProcesses) || maxProcesses < 1) throw new TypeError("pocketsphinx maxProcesses must be a whole number of at least 1");
    let slot = 0;
    this.#slots = new EnginePool<number>({
      size: maxProcesses,
      start: () => slot++,
      stop: async () => {},
      closedError: () => new EngineError("engine_error", "the PocketSphinx engine is closed"),
    });
  }

  /** The process bound: slots running and queued, the most busy at once. */
  get stats(): EnginePoolStats {
    return this.#slots.stats;
  }

  async *transcribe(audio: AsyncIterable<Uint8Array>, { signal, format, onQueued }: TranscribeOptions): AsyncGenerator<SttUpdate> {
    if (signal.aborted) throw abortError(signal);
    const path = findBinary(this.#binary, this.#env);
    if (path === null) {
      throw new EngineError(
        "stt_unavailable",
        `PocketSphinx (${this.#binary}) is not installed. Debian/Ubuntu: apt-get install pocketsphinx pocketsphinx-en-us.`,
      );
    }
    // Updates flow from child callbacks to this generator through a small queue.
    const updates: SttUpdate[] = [];
    let wake: (() => void) | null = null;
    const notify = () => {
      wake?.();
      wake = null;
    };
    let child = null as StartedProgram<["pipe", "pipe", "pipe"]> | null;
    /** Audio read while the utterance waits for a process slot, written first once it has one. */
    const backlog: Uint8Array[] = [];
    let audioEnded = false;
    let exit: { code: number | null; error: Error | null } | null = null;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let feedError: unknown = null;
    /** The utterance is over (done, failed or abandoned): the feed stops reading. */
    let finished = false;
    // A source that fails while the utterance is queued ends the wait too.
    const feedFailed = new AbortController();
    const kill = () => {
      try {
        if (child?.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const endInput = () => {
      child!.stdin.end();
      timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, this.#timeoutMs);
    };

    // The audio is read from the start, also while the utterance waits for a slot, so the
    // voice-activity detector in front of it keeps hearing the user and ends the utterance on time.
    const feeding = (async () => {
      let carry = new Uint8Array(0);
      const frameBytes = (format.sample_type === "s16le" ? 2 : 4) * format.channels;
      for await (const chunk of audio) {
        if (signal.aborted || exit !== null || finished) return;
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
        if (data.byteLength === 0) continue;
        if (child === null) {
          backlog.push(data.slice());
          continue;
        }
        if (!child.stdin.write(data)) {
          const stdin = child.stdin;
          await new Promise<void>((resolve) => {
            stdin.once("drain", resolve);
            stdin.once("close", resolve);
          });
        }
      }
    })();
    void feeding
      .then(
        () => {
          audioEnded = true;
          if (child !== null) endInput();
        },
        (err: unknown) => {
          feedError = err;
          feedFailed.abort();
          kill();
        },
      )
      .finally(notify);

    let lease: Lease<number> | null = null;
    try {
      try {
        lease = await this.#slots.acquire(AbortSignal.any([signal, feedFailed.signal]));
      } catch (err) {
        if (feedError !== null && !signal.aborted) throw feedError;
        throw err;
      }
      onQueued?.(lease.queuedMs);
      // Node's stdin "pipe" is a socketpair, which the program cannot fopen() as /dev/stdin; `cat`
      // turns it into a real pipe. The program path and arguments go in as positional parameters
      // (never interpolated into the script). The shell leads its own process group so one kill
      // stops cat and the recogniser together.
      const started = await startProgram(
        "/bin/sh",
        ["-c", 'cat | "$0" "$@"', path, "-infile", "/dev/stdin", "-hmm", this.#model.hmm, "-lm", this.#model.lm, "-dict", this.#model.dict],
        ["pipe", "pipe", "pipe"],
        { env: this.#env, detached: true },
        { code: "engine_error", what: "PocketSphinx" },
      );
      child = started;
      const segments: string[] = [];
      let stdoutRest = "";
      started.stdout.setEncoding("utf8");
      started.stdout.on("data", (text: string) => {
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
      started.stderr.setEncoding("utf8");
      started.stderr.on("data", (text: string) => {
        stderrTail = (stderrTail + text).slice(-4000);
      });
      started.stdin.on("error", () => {});
      started.once("error", (error) => {
        exit = { code: null, error };
        notify();
      });
      started.once("close", (code) => {
        exit ??= { code, error: null };
        notify();
      });
      // What arrived while queued goes first, in order, before the feed writes anything more.
      for (const data of backlog.splice(0)) started.stdin.write(data);
      if (audioEnded) endInput();
      const onAbort = () => {
        kill();
        notify();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        for (;;) {
          while (updates.length > 0) yield updates.shift()!;
          if (signal.aborted) throw abortError(signal);
          if (feedError !== null) throw feedError;
          if (exit !== null) break;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
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
      finished = true;
      clearTimeout(timer);
      backlog.length = 0;
      // The slot is free once the process has gone, so no more than the bound ever run.
      const release = lease?.release;
      if (child === null || exit !== null) release?.();
      else {
        child.once("close", () => release?.());
        kill();
      }
    }
  }

  /** Stop taking utterances: those waiting for a slot fail with `engine_error`; running ones finish. */
  async close(): Promise<void> {
    await this.#slots.close();
  }
}

function sameFormat(format: TranscribeOptions["format"]): boolean {
  return format.sample_rate === INPUT_PCM.sample_rate && format.sample_type === INPUT_PCM.sample_type && format.channels === INPUT_PCM.channels;
}
