/**
 * `--speak`: a turn's speech plays through a local player; an interrupted
 * turn (stop_speaking, barge-in) kills its player instead of letting queued
 * audio play out; stopping the speakers kills a running player.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Player } from "../../actors/tts/player.js";
import { silentLogger } from "../../server/logger.js";
import type { AudioChunkOut } from "../../server/pipeline.js";
import type { EventInput } from "../../server/protocol/index.js";
import { playOnSpeakers } from "../../server/speaker.js";

function fakePlayer(): { player: Player; pidFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "coda-speaker-"));
  const pidFile = join(dir, "pid");
  const path = join(dir, "aplay");
  // Records its pid, then plays (reads stdin) for far longer than the test.
  writeFileSync(path, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`);
  chmodSync(path, 0o755);
  return { player: { name: "aplay", path }, pidFile };
}

function fakePipeline() {
  const events = new Set<(e: EventInput) => void>();
  const audio = new Set<(c: AudioChunkOut) => void>();
  return {
    subscribe: (l: (e: EventInput) => void) => (events.add(l), () => events.delete(l)),
    subscribeAudio: (l: (c: AudioChunkOut) => void) => (audio.add(l), () => audio.delete(l)),
    emit: (e: EventInput) => events.forEach((l) => l(e)),
    chunk: (c: AudioChunkOut) => audio.forEach((l) => l(c)),
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function playerPid(pidFile: string): Promise<number> {
  await expect.poll(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "").toBe(true);
  return Number(readFileSync(pidFile, "utf8").trim());
}

const ttsResult = (interrupted: boolean): EventInput => ({
  type: "tts_result",
  data: { turn_id: "t1", sentences: 1, chunks: 1, chars: 5, audio_ms: 100, duration_ms: 5, interrupted },
});

describe("playOnSpeakers", () => {
  it("an interrupted turn kills its player", async () => {
    const { player, pidFile } = fakePlayer();
    const p = fakePipeline();
    const stop = playOnSpeakers(p, { sample_rate: 16000, sample_type: "s16le", channels: 1 }, player, silentLogger);
    p.chunk({ turnId: "t1", chunkIndex: 0, pcm: new Uint8Array(3200) });
    const pid = await playerPid(pidFile);
    expect(alive(pid)).toBe(true);
    p.emit(ttsResult(true));
    await expect.poll(() => alive(pid)).toBe(false);
    stop();
  });

  it("stopping the speakers kills a running player", async () => {
    const { player, pidFile } = fakePlayer();
    const p = fakePipeline();
    const stop = playOnSpeakers(p, { sample_rate: 16000, sample_type: "s16le", channels: 1 }, player, silentLogger);
    p.chunk({ turnId: "t1", chunkIndex: 0, pcm: new Uint8Array(3200) });
    const pid = await playerPid(pidFile);
    stop();
    await expect.poll(() => alive(pid)).toBe(false);
  });
});
