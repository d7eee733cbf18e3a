/**
 * Local speaker output: player detection on PATH, the arguments each player
 * gets, PCM delivered on the player's stdin, failures and abort.
 * Uses fake players (shell scripts) in a temporary PATH.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { findPlayer, NO_PLAYER_MESSAGE, playerArgs, playPcm } from "../../../actors/tts/player.js";
import { until } from "../../helpers/wait.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const FORMAT = { sample_rate: 22050, sample_type: "s16le", channels: 1 } as const;

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

describe("local speaker player", () => {
  const tmp = useTempDir("coda-player-");
  let dir: string;
  let bin: string;
  let record: string;
  beforeEach(() => {
    dir = tmp();
    bin = join(dir, "bin");
    record = join(dir, "record");
    mkdirSync(bin);
  });

  function fakePlayer(name: string, body = 'printf "%s\\n" "$@" > "$RECORD.args"\nexec /bin/cat > "$RECORD"\n'): void {
    const path = join(bin, name);
    writeFileSync(path, `#!/bin/sh\n${body}`);
    chmodSync(path, 0o755);
  }

  it("finds nothing on an empty PATH and says how to fix it", async () => {
    expect(findPlayer({ env: { PATH: bin } })).toBeNull();
    const err = await playPcm(chunks(new Uint8Array(4)), FORMAT, { signal: new AbortController().signal, env: { PATH: bin } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe("audio_error");
    expect((err as EngineError).message).toBe(NO_PLAYER_MESSAGE);
  });

  it("prefers aplay over paplay, ffplay and play, and skips non-executables", () => {
    fakePlayer("play");
    fakePlayer("paplay");
    writeFileSync(join(bin, "aplay"), "not executable");
    expect(findPlayer({ env: { PATH: `${join(dir, "missing")}:${bin}` } })).toEqual({ name: "paplay", path: join(bin, "paplay") });
    fakePlayer("aplay");
    expect(findPlayer({ env: { PATH: bin } })).toEqual({ name: "aplay", path: join(bin, "aplay") });
    expect(findPlayer({ env: { PATH: bin }, only: "play" })).toEqual({ name: "play", path: join(bin, "play") });
  });

  it("pipes the PCM to the player's stdin with the format in its arguments", async () => {
    fakePlayer("aplay");
    const a = new Uint8Array([1, 2, 3, 4]);
    const b = new Uint8Array(70_000).fill(7);
    await playPcm(chunks(a, b), FORMAT, { signal: new AbortController().signal, env: { PATH: bin, RECORD: record } });
    const written = readFileSync(record);
    expect(written.byteLength).toBe(70_004);
    expect([...written.subarray(0, 5)]).toEqual([1, 2, 3, 4, 7]);
    expect(readFileSync(`${record}.args`, "utf8").trim().split("\n")).toEqual(["-q", "-t", "raw", "-f", "S16_LE", "-r", "22050", "-c", "1", "-"]);
  });

  it("builds arguments for every player", () => {
    expect(playerArgs("paplay", FORMAT)).toEqual(["--raw", "--format=s16le", "--rate=22050", "--channels=1"]);
    expect(playerArgs("ffplay", FORMAT)).toEqual(["-nodisp", "-autoexit", "-loglevel", "error", "-f", "s16le", "-ar", "22050", "-ac", "1", "-i", "-"]);
    expect(playerArgs("play", { sample_rate: 24000, sample_type: "f32le", channels: 2 })).toEqual(["-q", "-t", "raw", "-e", "floating-point", "-b", "32", "-L", "-r", "24000", "-c", "2", "-"]);
  });

  it("reports a player that fails as audio_error with its last stderr line", async () => {
    fakePlayer("aplay", 'echo "aplay: main:831: audio open error: No such file or directory" >&2\nexit 1\n');
    const err = await playPcm(chunks(new Uint8Array(100)), FORMAT, { signal: new AbortController().signal, env: { PATH: bin } }).catch((e: unknown) => e);
    expect((err as EngineError).code).toBe("audio_error");
    expect((err as EngineError).message).toBe("Audio player aplay exited with status 1: aplay: main:831: audio open error: No such file or directory");
  });

  it("kills the player when aborted and throws AbortError", async () => {
    // A player that never reads: it would hang forever without the abort.
    fakePlayer("aplay", 'echo started > "$RECORD"\nexec /bin/sleep 30\n');
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
    }
    const playing = playPcm(endless(), FORMAT, { signal: controller.signal, env: { PATH: bin, RECORD: record } });
    await until(() => existsSync(record), "the player to start");
    controller.abort();
    await expect(playing).rejects.toMatchObject({ name: "AbortError" });
  });

  it("kills the player when the audio stream fails, and rethrows that failure", async () => {
    fakePlayer("aplay", "exec /bin/cat > /dev/null\n");
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw new EngineError("engine_error", "tts broke");
    }
    await expect(playPcm(failing(), FORMAT, { signal: new AbortController().signal, env: { PATH: bin } })).rejects.toMatchObject({ code: "engine_error", message: "tts broke" });
  });
});
