/**
 * Redraws docs/dashboard.png (`npm run docs:screenshot`): the dashboard as a
 * new user first sees it, with the real default engines (PocketSphinx when
 * installed, the built-in responder with its tools, Flite, Silero VAD, SQLite
 * memory in a temporary folder) after one spoken turn. The question is spoken
 * in the default voice and pushed to talk by a second client, as a phone or
 * satellite would; the dashboard watches the turn.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { createCodaServer } from "../../../server/app/app.js";
import { silentLogger } from "../../../server/app/logger.js";
import { speak } from "../../helpers/speech.js";
import { launch } from "./browser.js";

const dir = mkdtempSync(join(tmpdir(), "coda-screenshot-"));
const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: join(dir, "memory.db"), llmEngine: "builtin", logger: silentLogger });
const browser = await launch();
try {
  const page = await browser.page();
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(coda.url.replace("ws://", "http://") + "/");
  await page.locator("#conn[data-state=open]").waitFor();

  // "What is twelve times seven?" in the default voice, as 16 kHz microphone PCM.
  const speech = await speak("What is twelve times seven?");

  const phone = new WebSocket(coda.url);
  await new Promise((r) => phone.once("open", r));
  const done = new Promise<void>((resolve) =>
    phone.on("message", (raw, binary) => {
      if (!binary && (JSON.parse(raw.toString()) as { type: string }).type === "latency_trace") resolve();
    }),
  );
  phone.send(JSON.stringify({ type: "stt_start", data: { mode: "push_to_talk" } }));
  const pcm = Buffer.concat([Buffer.alloc(32 * 300), Buffer.from(speech), Buffer.alloc(32 * 300)]);
  for (let at = 0; at < pcm.length; at += 3200) {
    phone.send(pcm.subarray(at, at + 3200));
    await new Promise((r) => setTimeout(r, 100)); // real time, as a microphone sends it
  }
  phone.send(JSON.stringify({ type: "stt_stop" }));
  await done;
  await page.locator('#machine-state[data-phase="idle"]').waitFor();
  await page.waitForTimeout(500);
  const out = fileURLToPath(new URL("../../../docs/dashboard.png", import.meta.url));
  await page.screenshot({ path: out });
  phone.close();
  console.log("wrote docs/dashboard.png");
} finally {
  await browser.close();
  await coda.stop();
  rmSync(dir, { recursive: true, force: true });
}
