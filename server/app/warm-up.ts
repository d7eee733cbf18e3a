/**
 * Warming the chosen engines at start-up, so that the first answer comes as
 * fast as the tenth: the embedded synthesisers (Flite, eSpeak NG) start
 * their worker, load their WebAssembly and synthesise a sentence like an
 * answer, with words and numbers (the JIT compiles the hot paths); Festival
 * synthesises it too (its voice is then in the page cache); the built-in
 * responder answers a question once (nothing is stored: it only yields text
 * and tool calls); PocketSphinx recognises a fraction of a second of
 * silence (its models are then in the page cache). The Silero VAD warms
 * itself when it loads. Engines behind a network service, the caller's own
 * engine objects and `none` are left alone: a request there could cost the
 * user money or reach a server that is not up yet. And the wire: every
 * event and command schema validates its documented example once (zod
 * compiles a schema on its first use, about 70 ms for all of them on this
 * project's machine, which the first turn would otherwise pay).
 *
 * Warming never fails start-up: an engine that fails here is logged and
 * reports its error on first real use, as it would have without warming.
 */
import { INPUT_PCM } from "../../actors/audio.js";
import type { Logger } from "../../actors/logger.js";
import type { ChatMessage, LlmEngine } from "../../actors/llm/types.js";
import type { SttEngine } from "../../actors/stt/types.js";
import type { TtsEngine } from "../../actors/tts/types.js";
import { COMMAND_EXAMPLES, EVENT_EXAMPLES, exampleCommand } from "../protocol/examples.js";
import { decodeCommand, validateEvent, type CommandType, type EventType } from "../protocol/index.js";

/** Engine names this module warms (the local ones). */
const LOCAL_TTS = new Set(["flite", "espeak-ng", "festival"]);
const LOCAL_STT = new Set(["pocketsphinx"]);
const LOCAL_LLM = new Set(["builtin"]);

/** What the speech engine says while warming: an answer's shape, words and numbers. */
const SENTENCE = "It is 12:34 PM on Friday, and 6 times 7 is 42.";

/** Silence PocketSphinx is given: 300 ms at 16 kHz. */
const SILENCE = new Uint8Array((INPUT_PCM.sample_rate * 2 * 300) / 1000);

/**
 * Warm `engines` (those of them that are local and built here). Resolves
 * when every one is warm or has failed; `signal` abandons the work.
 * @example await warmEngines({ tts: engines.tts, stt: engines.stt }, logger, signal);
 */
export async function warmEngines(
  engines: { tts?: TtsEngine | undefined; stt?: SttEngine | undefined; llm?: LlmEngine | undefined },
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const started = performance.now();
  const jobs: Promise<void>[] = [];
  const { tts, stt, llm } = engines;
  if (llm && LOCAL_LLM.has(llm.name)) {
    jobs.push(
      attempt(`${llm.name} model`, logger, async () => {
        const messages: ChatMessage[] = [{ role: "user", content: "What time is it?" }];
        for await (const _chunk of llm.generate({ messages, tools: [], signal: signal ?? new AbortController().signal })) {
          // Drained and dropped.
        }
      }),
    );
  }
  if (tts && LOCAL_TTS.has(tts.name)) {
    jobs.push(
      attempt(`${tts.name} speech`, logger, async () => {
        for await (const _chunk of tts.synthesize(SENTENCE, { signal: signal ?? new AbortController().signal })) {
          // Drained and dropped.
        }
      }),
    );
  }
  if (stt && LOCAL_STT.has(stt.name)) {
    jobs.push(
      attempt(`${stt.name} recognition`, logger, async () => {
        async function* silence() {
          yield SILENCE;
        }
        for await (const _update of stt.transcribe(silence(), { signal: signal ?? new AbortController().signal, format: INPUT_PCM })) {
          // Drained and dropped.
        }
      }),
    );
  }
  await Promise.all(jobs);
  if (jobs.length > 0) logger.info("engines warm", { ms: Math.round(performance.now() - started) });
}

/** Validate every event's and command's documented example once, so the first turn finds its schemas compiled. */
export function warmProtocol(): void {
  for (const [type, data] of Object.entries(EVENT_EXAMPLES)) validateEvent({ type: type as EventType, data } as Parameters<typeof validateEvent>[0]);
  for (const type of Object.keys(COMMAND_EXAMPLES)) {
    try {
      decodeCommand(JSON.stringify(exampleCommand(type as CommandType)));
    } catch {
      // An example that is not a full command frame still compiled its schema.
    }
  }
}

async function attempt(what: string, logger: Logger, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    logger.warn("engine warm-up failed", { engine: what, error: err instanceof Error ? err.message : String(err) });
  }
}
