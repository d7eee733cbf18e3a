/**
 * Local speaker output: play synthesised PCM on the machine's own sound
 * device through a command-line player found on PATH, for servers started
 * with the speakers flag. Players are tried in this order: aplay (ALSA,
 * alsa-utils), paplay (PulseAudio/PipeWire, pulseaudio-utils), ffplay
 * (ffmpeg), play (sox). Raw PCM goes to the player's stdin, so nothing is
 * written to disk.
 */
import type { PcmFormat } from "../audio.js";
import { EngineError } from "../engine-error.js";
import { findProgram } from "../find-program.js";
import { abortError } from "../http.js";
import { startProgram } from "../start-program.js";

/** The players this module knows, in the order they are looked for. */
export const PLAYER_NAMES = ["aplay", "paplay", "ffplay", "play"] as const;
export type PlayerName = (typeof PLAYER_NAMES)[number];

/** A player found on PATH. */
export interface Player {
  name: PlayerName;
  /** Absolute path of the executable. */
  path: string;
}

/** The message given when no player is installed. */
export const NO_PLAYER_MESSAGE =
  "No audio player found on PATH for local speaker output: install one of aplay (alsa-utils), paplay (pulseaudio-utils), ffplay (ffmpeg) or play (sox), or start without the speakers flag.";

/**
 * Find the first known player on `env.PATH` (or only `only`, when given).
 * Returns null when none is installed.
 */
export function findPlayer(options: { env?: NodeJS.ProcessEnv; only?: PlayerName } = {}): Player | null {
  return findProgram(options.only ? [options.only] : PLAYER_NAMES, options.env ?? process.env);
}

/** The command-line arguments that make `name` play raw PCM of `format` from stdin. */
export function playerArgs(name: PlayerName, format: PcmFormat): string[] {
  const rate = String(format.sample_rate);
  const channels = String(format.channels);
  const s16 = format.sample_type === "s16le";
  switch (name) {
    case "aplay":
      return ["-q", "-t", "raw", "-f", s16 ? "S16_LE" : "FLOAT_LE", "-r", rate, "-c", channels, "-"];
    case "paplay":
      return ["--raw", `--format=${s16 ? "s16le" : "float32le"}`, `--rate=${rate}`, `--channels=${channels}`];
    case "ffplay":
      return ["-nodisp", "-autoexit", "-loglevel", "error", "-f", s16 ? "s16le" : "f32le", "-ar", rate, "-ac", channels, "-i", "-"];
    case "play":
      return ["-q", "-t", "raw", "-e", s16 ? "signed-integer" : "floating-point", "-b", s16 ? "16" : "32", "-L", "-r", rate, "-c", channels, "-"];
  }
}

/** Options of `playPcm`. */
export interface PlayOptions {
  signal: AbortSignal;
  /** The player to use; default: `findPlayer({ env })`. */
  player?: Player;
  /** Environment for PATH lookup and for the player process. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Play PCM chunks through a local player and resolve when it has finished.
 * Throws EngineError `audio_error` when no player is found or the player
 * fails; aborting kills the player at once and throws AbortError.
 * @example await playPcm(tts.synthesize(text, { signal }), tts.format, { signal });
 */
export async function playPcm(audio: AsyncIterable<Uint8Array>, format: PcmFormat, options: PlayOptions): Promise<void> {
  const { signal } = options;
  if (signal.aborted) throw abortError(signal);
  const env = options.env ?? process.env;
  const player = options.player ?? findPlayer({ env });
  if (player === null) throw new EngineError("audio_error", NO_PLAYER_MESSAGE);
  const child = await startProgram(player.path, playerArgs(player.name, format), ["pipe", "ignore", "pipe"], { env }, {
    code: "audio_error",
    what: `Audio player ${player.name}`,
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    if (stderr.length < 2000) stderr += text;
  });
  // A player that exits early makes writes fail with EPIPE; the exit status explains it.
  child.stdin.on("error", () => {});
  const exited = new Promise<{ code: number | null; error: Error | null }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, error }));
    child.once("close", (code) => resolve({ code, error: null }));
  });
  const onAbort = () => child.kill("SIGKILL");
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const writing = (async () => {
      for await (const chunk of audio) {
        if (signal.aborted || child.exitCode !== null || child.stdin.destroyed) return;
        if (!child.stdin.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              child.stdin.off("drain", done);
              child.stdin.off("close", done);
              resolve();
            };
            child.stdin.on("drain", done);
            child.stdin.on("close", done);
          });
        }
      }
      child.stdin.end();
    })();
    writing.catch(() => {});
    // Whichever ends first: a failing TTS stream must not leave the player waiting on stdin,
    // and a player that dies must not leave us waiting on audio.
    const failed = await Promise.race([
      writing.then(() => null, (err: unknown) => ({ err })),
      exited.then(() => null),
    ]);
    if (failed !== null) throw failed.err;
    const { code, error } = await exited;
    if (signal.aborted) throw abortError(signal);
    if (error !== null) throw new EngineError("audio_error", `Audio player ${player.name} could not start: ${error.message}`, { cause: error });
    if (code !== 0) {
      const detail = stderr.trim().split("\n").slice(-1)[0] ?? "";
      throw new EngineError("audio_error", `Audio player ${player.name} exited with status ${code}${detail ? `: ${detail}` : ""}`);
    }
    await writing;
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    if (signal.aborted) throw abortError(signal);
    throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
