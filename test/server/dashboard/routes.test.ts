/**
 * The dashboard's HTTP routes on the server's port: the page (with its
 * content security policy and the WebSocket URL), the static files, the
 * browser bundle of the typed client, the statechart JSON derived from the
 * voice machine; no path escapes the dashboard folder; no token is needed
 * for the dashboard's code while the data routes still require it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { buildVoiceDiagram } from "../../../server/dashboard/graph.js";
import { startCoda, type CodaFixture } from "../client/fixture.js";

let fixture: CodaFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe("dashboard routes", () => {
  it("serves the page with a strict CSP and the WebSocket URL", async () => {
    fixture = await startCoda();
    const res = await fetch(`${fixture.httpUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain(`<code>${fixture.wsUrl}</code>`);
    expect(html).toContain('<script type="module" src="/dashboard/app.js"></script>');
    // Nothing is loaded from elsewhere.
    expect(html.match(/(?:src|href)="([^"]+)"/g)!.every((a) => /="\/(?!\/)/.test(a))).toBe(true);
  });

  it("serves each static file with its type, and 404 for anything else", async () => {
    fixture = await startCoda();
    const base = `${fixture.httpUrl}/dashboard`;
    for (const [name, type] of [
      ["app.js", "text/javascript; charset=utf-8"],
      ["mic-worklet.js", "text/javascript; charset=utf-8"],
      ["dashboard.css", "text/css; charset=utf-8"],
      ["favicon.svg", "image/svg+xml"],
    ]) {
      const res = await fetch(`${base}/${name}`);
      expect([name, res.status, res.headers.get("content-type")]).toEqual([name, 200, type]);
    }
    for (const path of ["/dashboard/pcm.d.ts", "/dashboard/..%2fserve.ts", "/dashboard/../server.ts", "/dashboard/nope.js"]) {
      const res = await fetch(`${fixture.httpUrl}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
    }
  });

  it("bundles the typed client into one ES module with no imports", async () => {
    fixture = await startCoda();
    const res = await fetch(`${fixture.httpUrl}/dashboard/client.js`);
    expect(res.status).toBe(200);
    const code = await res.text();
    // A data: URL module cannot resolve imports: loading it proves the bundle is self-contained.
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as Record<string, unknown>;
    expect(typeof mod.CodaClient).toBe("function");
    expect(typeof mod.CommandError).toBe("function");
  });

  it("serves the statechart derived from the voice machine", async () => {
    fixture = await startCoda();
    const res = await fetch(`${fixture.httpUrl}/dashboard/machine.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(buildVoiceDiagram())));
  });

  it("needs no token for the dashboard's code, but still for the data routes", async () => {
    const token = "t0ken-for-the-dashboard-test-000";
    fixture = await startCoda({ token });
    for (const path of ["/", "/dashboard/app.js", "/dashboard/client.js", "/dashboard/machine.json"]) {
      expect([path, (await fetch(`${fixture.httpUrl}${path}`)).status]).toEqual([path, 200]);
    }
    expect((await fetch(`${fixture.httpUrl}/health`)).status).toBe(401);
    expect(await (await fetch(`${fixture.httpUrl}/`)).text()).not.toContain(token);
  });
});

describe("buildVoiceDiagram", () => {
  const d = buildVoiceDiagram();

  it("maps every phase the machines announce (and each coarse state) to the state that announces it", () => {
    expect(d.phases).toEqual({
      idle: "voice.idle",
      "listening.voice": "voice.turn.listening.voice",
      "listening.demo": "voice.turn.listening.demo",
      "thinking.recalling": "voice.turn.answering",
      speaking: "voice.turn.answering.speech.synthesizing",
      stopped: "voice.stopped",
      listening: "voice.turn.listening.voice",
      thinking: "voice.turn.answering",
    });
  });

  it("names, for the events that start stage work, an actor some drawn state invokes", () => {
    const invoked = new Set<string>();
    const collect = (n: typeof d.root) => (n.invoke.forEach((i) => invoked.add(i)), n.children.forEach(collect));
    collect(d.root);
    expect(d.running).toMatchObject({ stt_start: "stt", "stt_start:scripted": "demoStt", tool_call: "tools", tts_progress: "tts" });
    expect(Object.values(d.running).filter((src) => !invoked.has(src))).toEqual([]);
  });

  it("names the state a finished synthesis enters without a state_change (the answer playing out), and that state is drawn", () => {
    const ids = new Set<string>();
    const collect = (n: typeof d.root) => (ids.add(n.id), n.children.forEach(collect));
    collect(d.root);
    expect(d.entered).toEqual({ tts_result: "voice.turn.playing" });
    expect(Object.values(d.entered).filter((id) => !ids.has(id))).toEqual([]);
  });

  it("draws the turn machine inside the session state that invokes it, with invoked actors, deadlines and labelled transitions", () => {
    const find = (id: string, n = d.root): typeof d.root | undefined => (n.id === id ? n : n.children.map((c) => find(id, c)).find(Boolean));
    expect(d.root.children.map((c) => [c.key, c.type])).toEqual([
      ["idle", "atomic"],
      ["turn", "compound"],
      ["after_turn", "atomic"],
      ["stopping", "atomic"],
      ["stopped", "final"],
    ]);
    expect(find("voice.turn")!.children.map((c) => [c.key, c.type])).toEqual([
      ["start", "atomic"],
      ["listening", "compound"],
      ["answering", "parallel"],
      ["playing", "atomic"],
      ["remembering", "atomic"],
      ["completed", "final"],
      ["failed", "final"],
    ]);
    expect(find("voice.turn")).toMatchObject({ invoke: ["turn"], initial: "voice.turn.start" });
    expect(find("voice.turn.answering.generation.calling_tools")).toMatchObject({ invoke: ["tools"], deadlines: ["toolDeadline"] });
    expect(find("voice.turn.listening")).toMatchObject({ initial: "voice.turn.listening.voice", deadlines: ["sttDeadline"] });
    expect(find("voice.turn.playing")).toMatchObject({ deadlines: ["playoutDeadline"] });
    expect(d.edges.filter((e) => e.source === "voice.idle").map((e) => `${e.label}>${e.target}`)).toEqual([
      "user.listen>voice.turn",
      "user.demo>voice.turn",
      "user.text>voice.turn",
      "system.shutdown>voice.stopping",
    ]);
    // Shutdown waits for a cut turn's memory, at most the memory deadline.
    expect(d.edges.filter((e) => e.source === "voice.stopping").map((e) => [e.label, e.guard, e.target])).toEqual([
      ["after memoryDeadline", null, "voice.stopped"],
      ["always", "storingNoCut", "voice.stopped"],
    ]);
    expect(d.edges.filter((e) => e.source === "voice.turn.remembering" && e.target === "voice.turn.completed").map((e) => [e.label, e.guard])).toEqual([
      ["done (store)", null],
      ["error (store)", null],
      ["after memoryDeadline", null],
    ]);
    // The session's barge-in edges start from the turn's drawn stages; the one decision after a turn is drawn.
    expect(d.edges.filter((e) => e.source === "voice.turn.answering" && e.target === "voice.turn").map((e) => e.label)).toEqual(["user.listen", "user.text"]);
    expect(d.edges.filter((e) => e.source === "voice.after_turn").map((e) => [e.label, e.guard, e.target])).toEqual([
      ["always", "shouldRelisten", "voice.turn"],
      ["always", null, "voice.idle"],
    ]);
    // Every edge joins two drawn states.
    const ids = new Set<string>();
    const collect = (n: typeof d.root) => (ids.add(n.id), n.children.forEach(collect));
    collect(d.root);
    expect(d.edges.filter((e) => !ids.has(e.source) || !ids.has(e.target))).toEqual([]);
  });
});
