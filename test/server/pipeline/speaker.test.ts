/**
 * `--speak`: a turn's speech plays through a local player fed by the
 * playout; an interrupted turn (stop_speaking, barge-in) kills its player
 * instead of letting queued audio play out; a finished turn's player plays
 * out and reports `ended`; stopping the speakers kills a running player.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Player } from "../../../actors/tts/player.js";
import { silentLogger } from "../../../server/app/logger.js";
import { Playout, type Heard } from "../../../server/pipeline/playout.js";
import { playOnSpeakers } from "../../../server/pipeline/speaker.js";
import { ManualClock } from "../../helpers/clock.js";

function fakePlayer(): { player: Player; pidFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "coda-speaker-"));
  const pidFile = join(dir, "pid");
  const path = join(dir, "aplay");
  // Records its pid, then plays (reads stdin) for far longer than the test.
  writeFileSync(path, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`);
  chmodSync(path, 0o755);
  return { player: { name: "aplay", path }, pidFile };
}

/** The real playout on a hand-moved clock, as the pipeline's audio outputs. */
function playoutPipeline() {
  const ended: [string, Heard][] = [];
  const playout = new Playout({ clock: new ManualClock(), onEnded: (id, heard) => ended.push([id, heard]) });
  return { playout, ended, openAudioOutput: playout.addConsumer.bind(playout) };
}

const chunk = (turnId: string, chunkIndex: number) => ({ turnId, chunkIndex, sentenceIndex: 0, text: "Hello.", audioMs: 100, pcm: new Uint8Array(3200) });

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

describe("playOnSpeakers", () => {
  it("an interrupted turn kills its player", async () => {
    const { player, pidFile } = fakePlayer();
    const p = playoutPipeline();
    const stop = playOnSpeakers(p, { sample_rate: 16000, sample_type: "s16le", channels: 1 }, player, silentLogger);
    p.playout.audio(chunk("t1", 0));
    const pid = await playerPid(pidFile);
    expect(alive(pid)).toBe(true);
    expect(p.playout.cut("t1")).toMatchObject({ cut: true });
    await expect.poll(() => alive(pid)).toBe(false);
    stop();
  });

  it("a finished turn plays out, and the player's exit ends the turn's playout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coda-speaker-"));
    const path = join(dir, "aplay");
    writeFileSync(path, "#!/bin/sh\ncat > /dev/null\n"); // plays (reads) everything, then exits 0
    chmodSync(path, 0o755);
    const p = playoutPipeline();
    const stop = playOnSpeakers(p, { sample_rate: 16000, sample_type: "s16le", channels: 1 }, { name: "aplay", path }, silentLogger);
    p.playout.audio(chunk("t1", 0));
    p.playout.audio(chunk("t1", 1));
    p.playout.synthesisEnded("t1");
    // The clock never moves: only the player's own report can end the playout.
    await expect.poll(() => p.ended).toEqual([["t1", { heardMs: 200, text: "Hello.", cut: false }]]);
    stop();
  });

  it("stopping the speakers kills a running player", async () => {
    const { player, pidFile } = fakePlayer();
    const p = playoutPipeline();
    const stop = playOnSpeakers(p, { sample_rate: 16000, sample_type: "s16le", channels: 1 }, player, silentLogger);
    p.playout.audio(chunk("t1", 0));
    const pid = await playerPid(pidFile);
    stop();
    await expect.poll(() => alive(pid)).toBe(false);
  });
});
