/**
 * A bare WebSocketServer (the seed's broadcaster, no voice pipeline) serves
 * no controls that could not work: `/` is a read-only event page that says
 * so, and the full dashboard's page and script are refused. In a real
 * browser (Debian's Chromium), the page shows the broadcast events, replayed
 * and live, with no errors; at /?session=x, those of session x only.
 */
import { describe, expect, it } from "vitest";
import { useServers } from "../../helpers/server.js";
import { hasChromium, SKIP_REASON, useBrowser } from "./browser.js";

const { server } = useServers();
const browser = useBrowser();

const httpUrl = (port: number) => `http://127.0.0.1:${port}`;

describe("dashboard of a server without a pipeline", () => {
  it("serves a read-only page without buttons, and refuses the full dashboard's page and script", async () => {
    const s = await server();
    const res = await fetch(`${httpUrl(s.port)}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain("This server has no voice pipeline (a bare WebSocketServer): it only broadcasts events, so there is nothing to talk to here.");
    expect(html).toContain(`<code>${s.wsUrl}</code>`);
    expect(html).not.toMatch(/<button|<input|<form/);
    expect(html).toContain('<script type="module" src="/dashboard/events.js"></script>');
    for (const path of ["/dashboard/index.html", "/dashboard/app.js"]) {
      const refused = await fetch(`${httpUrl(s.port)}${path}`);
      expect([path, refused.status, await refused.json()]).toEqual([
        path,
        404,
        { error: "This server has no voice pipeline, so it serves no dashboard controls; / shows its events read-only" },
      ]);
    }
  });

  it.skipIf(!hasChromium)(`shows replayed and live events in a browser ${hasChromium ? "" : SKIP_REASON}`, async () => {
    const s = await server();
    await s.broadcast({ type: "system_info", data: { version: "0.1.1", uptime: 3600, memory: 104857600 } });
    const page = await browser()!.page();
    await page.goto(`${httpUrl(s.port)}/`);
    await page.locator("#conn", { hasText: "connected" }).waitFor();
    await page.locator("#log tbody tr", { hasText: "system_info" }).waitFor();
    await s.broadcast({ type: "system_info", data: { version: "0.1.2", uptime: 1, memory: 1 } });
    await page.locator("#log tbody tr", { hasText: "0.1.2" }).waitFor();
    expect(await page.locator("#log tbody tr", { hasText: "system_info" }).count()).toBe(2);
    expect(await page.locator("button").count()).toBe(0);
    expect(await page.locator("#read-only").textContent()).toBe("read-only");
    expect(page.problems).toEqual([]);
    await page.close();
  }, 60_000);

  it.skipIf(!hasChromium)(`follows the session its address names ${hasChromium ? "" : SKIP_REASON}`, async () => {
    const s = await server();
    const info = (version: string) => ({ type: "system_info" as const, data: { version, uptime: 1, memory: 1 } });
    await s.broadcast(info("to-default"));
    await s.broadcast(info("to-b-1"), { session: "b" });
    const page = await browser()!.page();
    await page.goto(`${httpUrl(s.port)}/?session=b`);
    await page.locator("#session", { hasText: "session: b" }).waitFor();
    await page.locator("#log tbody tr", { hasText: "to-b-1" }).waitFor();
    await s.broadcast(info("to-default-2"));
    await s.broadcast(info("to-b-2"), { session: "b" });
    await page.locator("#log tbody tr", { hasText: "to-b-2" }).waitFor();
    expect(await page.locator("#log tbody tr", { hasText: "to-default" }).count()).toBe(0);
    expect(page.problems).toEqual([]);
    await page.close();
  }, 60_000);
});
