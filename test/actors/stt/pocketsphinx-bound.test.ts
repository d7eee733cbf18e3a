/**
 * PocketSphinx's process bound (`maxProcesses`, the enginePoolSize
 * setting), with a stand-in program that logs its start and answers with
 * the number of bytes it heard: no more than the bound run at once; an
 * utterance beyond it waits in line while its audio is still read (and is
 * then heard whole), and reports how long it waited; aborting a queued
 * utterance starts no process; close() fails the queued ones.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import { isAbortError } from "../../../actors/engine-error.js";
import { PocketSphinxStt } from "../../../actors/stt/pocketsphinx.js";
import type { SttUpdate } from "../../../actors/stt/types.js";
import { settle } from "../../helpers/iterables.js";
import { useTempDir } from "../../helpers/temp-dir.js";
import { until } from "../../helpers/wait.js";

const tmp = useTempDir("coda-ps-bound-", "file");
let dir: string;
let binary: string;
let log: string;

beforeAll(() => {
  dir = tmp();
  log = join(dir, "started.log");
  binary = join(dir, "fake-pocketsphinx");
  // Run as `cat | fake -infile /dev/stdin ...`: log the start, count the bytes heard, print them as the one segment.
  writeFileSync(binary, `#!/bin/sh\necho start >> "${log}"\nn=$(wc -c < /dev/stdin | tr -d ' ')\necho "heard $n bytes"\n`);
  chmodSync(binary, 0o755);
});

const starts = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0);

/** An audio stream the test feeds by hand; `pulled` counts the chunks the engine has read. */
function handFed() {
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const stream = {
    pulled: 0,
    push(bytes: number) {
      queue.push(new Uint8Array(bytes));
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      for (;;) {
        const next = queue.shift();
        if (next) {
          stream.pulled++;
          yield next;
          continue;
        }
        if (ended) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    },
  };
  return stream;
}

function utterance(stt: PocketSphinxStt, signal = new AbortController().signal) {
  const audio = handFed();
  const waits: number[] = [];
  const result = settle<SttUpdate>(stt.transcribe(audio, { signal, format: INPUT_PCM, onQueued: (ms) => waits.push(ms) }));
  return { audio, waits, result };
}

describe("PocketSphinxStt process bound", () => {
  it("runs at most maxProcesses at once; the next waits in line, reading its audio meanwhile, and reports its wait", async () => {
    writeFileSync(log, "");
    const stt = new PocketSphinxStt({ binary, maxProcesses: 2 });
    const a = utterance(stt);
    const b = utterance(stt);
    const c = utterance(stt);
    await until(() => starts() === 2, "two processes to start");
    expect(stt.stats).toMatchObject({ size: 2, busy: 2, queued: 1 });
    expect([a.waits, b.waits]).toEqual([[0], [0]]);
    // The queued utterance's audio is read while it waits (a detector in front of it keeps listening).
    c.audio.push(3200);
    c.audio.push(3200);
    await until(() => c.audio.pulled === 2, "the queued utterance's audio to be read");
    expect(c.waits).toEqual([]);
    a.audio.push(640);
    a.audio.end();
    expect((await a.result).items).toEqual([{ kind: "final", text: "heard 640 bytes", confidence: null }]);
    await until(() => starts() === 3, "the third process to start once the first has gone");
    expect(c.waits).toHaveLength(1);
    expect(c.waits[0]).toBeGreaterThan(0);
    c.audio.push(320);
    c.audio.end();
    // Everything it was sent, before and after its process started, in order.
    expect((await c.result).items).toEqual([{ kind: "final", text: "heard 6720 bytes", confidence: null }]);
    b.audio.end();
    expect((await b.result).items).toEqual([{ kind: "final", text: "heard 0 bytes", confidence: null }]);
    expect(stt.stats).toMatchObject({ busy: 0, queued: 0, peakBusy: 2 });
    expect(starts()).toBe(3);
  }, 30_000);

  it("an utterance aborted while queued leaves the line at once and starts no process", async () => {
    writeFileSync(log, "");
    const stt = new PocketSphinxStt({ binary, maxProcesses: 1 });
    const a = utterance(stt);
    await until(() => starts() === 1, "the first process to start");
    const controller = new AbortController();
    const b = utterance(stt, controller.signal);
    b.audio.push(3200);
    await until(() => stt.stats.queued === 1 && b.audio.pulled === 1, "the second utterance to be queued");
    controller.abort();
    const { items, error } = await b.result;
    expect(isAbortError(error)).toBe(true);
    expect(items).toEqual([]);
    expect(stt.stats.queued).toBe(0);
    a.audio.end();
    expect((await a.result).items).toEqual([{ kind: "final", text: "heard 0 bytes", confidence: null }]);
    expect(starts()).toBe(1);
    expect(b.waits).toEqual([]);
  }, 30_000);

  it("close() fails the queued utterances with engine_error and refuses new ones; the running one finishes", async () => {
    writeFileSync(log, "");
    const stt = new PocketSphinxStt({ binary, maxProcesses: 1 });
    const a = utterance(stt);
    await until(() => starts() === 1, "the first process to start");
    const b = utterance(stt);
    await until(() => stt.stats.queued === 1, "the second utterance to be queued");
    await stt.close();
    expect((await b.result).error).toMatchObject({ name: "EngineError", code: "engine_error", message: "the PocketSphinx engine is closed" });
    expect((await utterance(stt).result).error).toMatchObject({ code: "engine_error", message: "the PocketSphinx engine is closed" });
    a.audio.end();
    expect((await a.result).items).toEqual([{ kind: "final", text: "heard 0 bytes", confidence: null }]);
    expect(starts()).toBe(1);
  }, 30_000);

  it("refuses a bound that is not a whole number of at least 1", () => {
    expect(() => new PocketSphinxStt({ binary, maxProcesses: 0 })).toThrow(new TypeError("pocketsphinx maxProcesses must be a whole number of at least 1"));
    expect(() => new PocketSphinxStt({ binary, maxProcesses: 1.5 })).toThrow(new TypeError("pocketsphinx maxProcesses must be a whole number of at least 1"));
  });
});
