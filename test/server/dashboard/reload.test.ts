/**
 * The dashboard restores itself after a reload (Debian's Chromium via
 * playwright-core, against the real server): three turns with long spoken
 * answers (about 30 s of speech each, 300 tts_progress events apiece with ttsProgressMs 100, far
 * past the old 100-event replay) and a turn with a tool and a memory, then a
 * reload: every question and answer is shown again, with the tool call, the
 * memory stored, the latency chart and the state, and the page says what it
 * restored (for ten seconds: the notice then goes).
 *
 * The page does not play the answers ("Play speech" off), so it reports no
 * playback, and the server, which counts such a listener as playing in real
 * time, runs its playout clock 20 times faster: the 90 s of speech pass in
 * under 5. What a listener hears and reports is dashboard.test.ts's and
 * turn-taking.test.ts's subject; this one's is the reload.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BuiltinResponder } from "../../../actors/llm/builtin.js";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import type { GenerateRequest, LlmEngine } from "../../../actors/llm/types.js";
import { startCoda, type CodaFixture } from "../client/fixture.js";
import { TestClient } from "../../helpers/client.js";
import { fastClock } from "../../helpers/clock.js";
import { hasChromium, SKIP_REASON, useBrowser } from "./browser.js";

const browser = useBrowser();
let fixture: CodaFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const QUESTIONS = ["tell me about the sea", "tell me about the mountains", "tell me about the desert"];
/** About 500 characters: 30 s of speech at 60 ms per character. */
const answerTo = (q: string) => Array.from({ length: 6 }, (_, k) => `Part ${k + 1} of what I know when you ${q}, said slowly and at length.`).join(" ");

/** Long scripted answers to the three questions; the built-in responder (with its real tools) for anything else. */
function model(): LlmEngine {
  const long = new ScriptedLlmEngine({ answer: ({ messages }) => answerTo(String(messages.findLast((m) => m.role === "user")?.content ?? "")) });
  const builtin = new BuiltinResponder({ delayMs: 0, timeZone: "UTC" });
  const pick = (r: GenerateRequest) => (QUESTIONS.includes(String(r.messages.findLast((m) => m.role === "user")?.content)) ? long : builtin);
  return { name: "mixed", model: "test", generate: (r) => pick(r).generate(r), close: async () => {} };
}

const texts = (page: import("playwright-core").Page, selector: string) => page.locator(selector).allTextContents();

describe.skipIf(!hasChromium)(`dashboard reload in Chromium${hasChromium ? "" : ` (${SKIP_REASON})`}`, () => {
  it("three long spoken answers and a tool turn, then a reload: every question, answer, tool call, memory and latency row is back", async () => {
    fixture = await startCoda({ llm: model(), tts: { msPerChar: 60, chunkMs: 100, sound: "silence" }, playout: { ttsProgressMs: 100, playoutClock: fastClock(20) } });
    // A plain client watching the same turns counts their progress events.
    const watcher = await TestClient.connect(fixture.wsUrl);
    const page = await browser()!.page();
    await page.goto(`${fixture.httpUrl}/`);
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator("#speech").uncheck();
    const ask = async (text: string, n: number) => {
      await page.locator("#text").fill(text);
      await page.locator("#text").press("Enter");
      await page.locator(`.turn:nth-child(${n}) .latency-line:not([hidden])`).waitFor({ timeout: 60_000 });
    };
    for (const [i, q] of QUESTIONS.entries()) await ask(q, i + 1);
    await ask("remember that my sister is called Ana", 4);
    await page.locator('#machine-state[data-phase="idle"]').waitFor();
    const progress = watcher.ofType("tts_progress").length;
    await watcher.close();
    expect(progress).toBeGreaterThan(300); // live: each long answer's speech, 100 ms by 100 ms, far past the old 100-event replay
    const before = {
      users: await texts(page, ".turn .user"),
      answers: await texts(page, ".turn .assistant"),
      chips: await texts(page, ".turn .chip"),
      latency: await page.locator(".latency .row").count(),
    };
    expect(before.users).toEqual([...QUESTIONS, "remember that my sister is called Ana"]);
    expect(before.answers.slice(0, 3)).toEqual(QUESTIONS.map(answerTo));

    // The page's clock is the test's from here: the notice below must go by itself, without a wall-clock wait.
    await page.clock.install();
    await page.reload();
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator(".turn:nth-child(4) .latency-line:not([hidden])").waitFor();
    expect(await texts(page, ".turn .user")).toEqual(before.users);
    expect(await texts(page, ".turn .assistant")).toEqual(before.answers);
    expect(await texts(page, ".turn .chip")).toEqual(before.chips);
    const chips = await texts(page, ".turn:nth-child(4) .chip");
    expect(chips).toEqual(
      expect.arrayContaining([expect.stringMatching(/^tool remember\(.*Ana.*\) → /), expect.stringMatching(/^stored (fact|turn) .*Ana/)]),
    );
    expect(await page.locator(".latency .row").count()).toBe(before.latency);
    expect(await page.locator(".latency .row").count()).toBe(4);
    expect(await page.locator("#machine-state").getAttribute("data-phase")).toBe("idle");
    expect(await page.locator("#notice").textContent()).toBe("Restored the last 4 turns.");
    // A notice, not a fixture: it goes after ten seconds.
    await page.locator("#mem-status", { hasText: "memories, newest first" }).waitFor(); // no request left waiting on the clock
    await page.clock.fastForward(9_000);
    expect(await page.locator("#notice").textContent()).toBe("Restored the last 4 turns.");
    await page.clock.fastForward(1_500);
    expect(await page.locator("#notice").textContent()).toBe("");
    // Rebuilt from the turns' results: no progress events were replayed for them.
    expect((await texts(page, "#log tbody tr.replayed td.type")).filter((t) => t.endsWith("_progress"))).toEqual([]);
    expect(page.problems).toEqual([]);
    await page.close();
  }, 300_000);
});
