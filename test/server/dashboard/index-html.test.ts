/**
 * `/dashboard/index.html` is the page itself under another name: it is
 * served exactly like `/` (Content-Security-Policy with frame-ancestors, the
 * WebSocket URL filled in), never as a raw file with a literal {{WS_URL}}.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startCoda, type CodaFixture } from "../client/fixture.js";

let fixture: CodaFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe("the dashboard page under every path that reaches it", () => {
  it.each(["/", "/dashboard/", "/dashboard/index.html"])("%s has the CSP and the filled-in URL", async (path) => {
    fixture = await startCoda();
    const res = await fetch(`${fixture.httpUrl}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).not.toContain("{{WS_URL}}");
    expect(html).toContain(`<code>${fixture.wsUrl}</code>`);
  });
});
