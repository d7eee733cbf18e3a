/**
 * Sessions on the dashboard (Debian's Chromium via playwright-core, against
 * a real server whose every session has its own voice machine): the page
 * follows the session and user its address names and says which; it shows
 * that session's turns and none of another's; it lists the live sessions
 * from /sessions (its own marked) and goes to one by its link, to a typed id
 * or to a new random one, keeping its user; a typed id that is not one is
 * refused on the page; while the server refuses the join (maxSessions) the
 * page says why it may be, and when it gets in. With a session-scoped token in the fragment, the
 * page joins the token's session and lists only it; without the token it
 * says why the list is refused.
 */
import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { startCoda, type CodaFixture } from "../client/fixture.js";
import { newClient } from "../client/helpers.js";
import { ManualClock } from "../../helpers/clock.js";
import { useServers } from "../../helpers/server.js";
import { until } from "../../helpers/wait.js";
import { hasChromium, SKIP_REASON, useBrowser } from "./browser.js";

const browser = useBrowser();
let fixture: CodaFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});
// Registered after the fixture's hook: its clients are closed first (after-hooks run in reverse).
const { trackClient } = useServers();

type Page = import("playwright-core").Page;
const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();
const SECRET = "a-secret-of-at-least-thirty-two-characters";

async function ask(page: Page, text: string, n: number): Promise<void> {
  await page.locator("#text").fill(text);
  await page.locator("#text").press("Enter");
  await page.locator(`.turn:nth-child(${n}) .latency-line:not([hidden])`).waitFor();
}

describe.skipIf(!hasChromium)(`dashboard sessions in Chromium${hasChromium ? "" : ` (${SKIP_REASON})`}`, () => {
  it("follows the session and user of its address, shows only that conversation, lists the live sessions and goes to another", async () => {
    fixture = await startCoda({ perSession: true });
    // Another conversation, in the office, already has a turn.
    const office = trackClient(newClient(fixture.wsUrl, { session: "office", user: "bob" }));
    await office.connect();
    await office.textInput("what is 6 times 7");
    await until(() => office.conversation.turns.at(-1)?.status === "completed", "office turn ends");

    const page = await browser()!.page();
    await page.goto(`${fixture.httpUrl}/?session=kitchen&user=ana`);
    await page.locator("#conn[data-state=open]").waitFor();
    await expect.poll(() => page.locator("#session").textContent()).toBe("session: kitchen · user: ana");
    expect(await page.locator("#session").getAttribute("data-new")).toBe("true");
    await ask(page, "what is 2 plus 3", 1);
    expect(await texts(page, ".turn .assistant")).toEqual(["2 + 3 is 5."]);
    // The list, oldest first: default (nobody), office, kitchen (this page, one turn).
    await page.locator("#ses-refresh").click();
    await page.locator('.session[data-id="kitchen"]', { hasText: "1 turn" }).waitFor();
    expect(await page.locator(".session").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id))).toEqual(["default", "office", "kitchen"]);
    expect(await page.locator(".session[data-here=true] a").textContent()).toBe("kitchen");
    expect(await page.locator('.session[data-id="office"]').textContent()).toContain("1 client · idle · 1 turn");
    expect(await page.locator("#ses-status").textContent()).toBe("3 live sessions.");
    // Memory is the user's: ana's turn only.
    await page.locator(".memory").first().waitFor();
    expect((await texts(page, ".memory .memory-text")).join(" ")).not.toContain("6 times 7");

    // Its link opens the office conversation, as the same user: the office's turn is restored, not the kitchen's.
    await page.locator('.session[data-id="office"] a').click();
    await page.waitForURL(`${fixture.httpUrl}/?session=office&user=ana`);
    await expect.poll(() => page.locator("#session").textContent()).toBe("session: office · user: ana");
    expect(await page.locator("#session").getAttribute("data-new")).toBe("false");
    await expect.poll(() => texts(page, ".turn .assistant")).toEqual(["6 * 7 is 42."]);
    expect(await texts(page, ".turn .user")).toEqual(["what is 6 times 7"]);
    expect(page.problems).toEqual([]);
  });

  it("opens a typed session or a new random one, and refuses a typed id that is not one", async () => {
    fixture = await startCoda({ perSession: true });
    const page = await browser()!.page();
    await page.goto(`${fixture.httpUrl}/?user=ana`);
    await expect.poll(() => page.locator("#session").textContent()).toBe("session: default · user: ana");

    await page.locator("#ses-id").fill("a b");
    await page.locator("#ses-id").press("Enter");
    await expect.poll(() => page.locator("#ses-status").textContent()).toBe("“a b” is not a session id: 1 to 64 letters, digits, '_' or '-'.");
    expect(page.url()).toBe(`${fixture.httpUrl}/?user=ana`);

    await page.locator("#ses-id").fill("attic");
    await page.locator("#ses-id").press("Enter");
    await page.waitForURL(`${fixture.httpUrl}/?session=attic&user=ana`);
    await expect.poll(() => page.locator("#session").textContent()).toBe("session: attic · user: ana");

    await page.locator("#ses-new").click();
    await page.waitForURL(/\/\?session=s-[0-9a-f]{10}&user=ana$/);
    const id = new URL(page.url()).searchParams.get("session")!;
    await expect.poll(() => page.locator("#session").textContent()).toBe(`session: ${id} · user: ana`);
    expect(await page.locator("#session").getAttribute("data-new")).toBe("true");
    await page.locator(`.session[data-id="${id}"][data-here=true]`).waitFor();
    expect(fixture.server.sessions().map((s) => s.id)).toEqual(["default", "attic", id]);
    expect(page.problems).toEqual([]);
  });

  it("says so when its address names an id that is not one, and joins the default session", async () => {
    fixture = await startCoda({ perSession: true });
    const page = await browser()!.page();
    await page.goto(`${fixture.httpUrl}/?session=a.b`);
    await page.locator("#conn[data-state=open]").waitFor();
    await expect.poll(() => page.locator("#notice").textContent()).toBe("?session=a.b is not an id (1 to 64 letters, digits, '_' or '-'): left out, so the server's default is used.");
    expect(await page.locator("#session").textContent()).toBe("session: default · user: default");
  });

  it("says so while it cannot join the session it names (here: the server is at maxSessions), and once it gets in", async () => {
    const clock = new ManualClock();
    fixture = await startCoda({ perSession: true, maxSessions: 2, sessionIdleMs: 60_000, sessionClock: clock });
    const holder = trackClient(newClient(fixture.wsUrl, { session: "full" }));
    await holder.connect();
    const page = await browser()!.page();
    await page.goto(`${fixture.httpUrl}/?session=kitchen`);
    await expect
      .poll(() => page.locator("#notice").textContent())
      .toBe("Could not join session “kitchen” (the server may be at its session limit, or the token may be for another session); retrying…");
    expect(await page.locator("#conn").getAttribute("data-state")).toBe("reconnecting");
    // A place frees up ("full" is left and closed as idle): the page gets in on a later attempt and says so.
    await holder.close();
    await until(() => fixture!.server.sessions().find((r) => r.id === "full")?.clients === 0, "the holder left");
    clock.advance(60_000);
    await until(() => !fixture!.server.sessions().some((r) => r.id === "full"), "full closed");
    await page.locator("#conn[data-state=open]").waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator("#notice").textContent()).toBe("Joined session “kitchen”.");
    expect(await page.locator("#session").textContent()).toBe("session: kitchen · user: default");
  });

  it("with a session-scoped token joins the token's session and lists only it; without one, says why the list is refused", async () => {
    fixture = await startCoda({ perSession: true, tokenSecret: SECRET });
    const token = await new SignJWT({ session: "kitchen", user: "ana" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(SECRET));
    await fixture.server.broadcast({ type: "system_info", data: { version: "x", uptime: 1, memory: 1 } }, { session: "office" });
    const page = await browser()!.page();
    await page.goto(`${fixture.httpUrl}/#token=${token}`);
    await expect.poll(() => page.locator("#session").textContent()).toBe("session: kitchen · user: ana");
    await page.locator('.session[data-id="kitchen"][data-here=true]').waitFor();
    expect(await page.locator(".session").count()).toBe(1);
    expect(await page.locator('.session[data-id="kitchen"] a').getAttribute("href")).toBe(`/?session=kitchen#token=${token}`);

    const stranger = await browser()!.page();
    await stranger.goto(`${fixture.httpUrl}/`);
    await stranger.locator("#ses-refresh").click();
    await expect.poll(() => stranger.locator("#ses-status").textContent()).toBe("Could not list the sessions (HTTP 401): Missing or wrong token");
    expect(await stranger.locator(".session").count()).toBe(0);
    await stranger.close();
  });
});
