/**
 * Child-process probe for test/actors/spawn-emfile.test.ts: runs under a low
 * `ulimit -n`, uses up every file descriptor, then starts each program the
 * engines spawn (a player, a recorder, PocketSphinx) and prints, as one JSON
 * line, how each one failed. A crash (an unhandled 'error' from a child
 * process spawned without pipes) makes the process exit non-zero instead.
 */
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INPUT_PCM } from "../../actors/audio.js";
import { MicrophoneSource } from "../../actors/stt/sources.js";
import { PocketSphinxStt } from "../../actors/stt/pocketsphinx.js";
import { playPcm } from "../../actors/tts/player.js";

const dir = mkdtempSync(join(tmpdir(), "coda-emfile-"));
const program = join(dir, "program");
writeFileSync(program, "#!/bin/sh\ncat >/dev/null\n");
chmodSync(program, 0o755);

async function* silence(): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(3200);
}

async function outcome(run: () => Promise<unknown>): Promise<{ code: string; message: string } | "ok"> {
  try {
    await run();
    return "ok";
  } catch (err) {
    return { code: (err as { code?: string }).code ?? "none", message: (err as Error).message };
  }
}

// Use up the descriptors (bounded: the test sets a low limit).
const held: number[] = [];
for (let i = 0; i < 100_000; i++) {
  try {
    held.push(openSync("/dev/null", "r"));
  } catch {
    break;
  }
}

const signal = new AbortController().signal;
const results = {
  player: await outcome(() => playPcm(silence(), INPUT_PCM, { signal, player: { name: "aplay", path: program } })),
  recorder: await outcome(async () => {
    for await (const _ of new MicrophoneSource({ recorder: { name: "arecord", path: program } }).open(signal)) void _;
  }),
  pocketsphinx: await outcome(async () => {
    for await (const _ of new PocketSphinxStt({ binary: program }).transcribe(silence(), { signal, format: INPUT_PCM })) void _;
  }),
};
// Let any late 'error' event fire (it would crash the process here, before the report).
await new Promise((resolve) => setTimeout(resolve, 50));
for (const fd of held) closeSync(fd);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ held: held.length, results })}\n`);
