/**
 * The packed package works for a consumer: `npm pack`, install the tarball in
 * a fresh project, `import { WebSocketServer } from "coda-core"` and run the
 * seed's usage example as written (localhost:8765).
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TestClient } from "../helpers/client.js";
import { ROOT } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "coda-consumer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm package", () => {
  it("installs from npm pack and runs the seed usage example", async () => {
    // The seed's example listens on 8765 as written; say so plainly if something else has it.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer().once("error", (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === "EADDRINUSE" ? "port 8765 is in use (is `npm start` running?); the seed example needs it" : err.message)),
      );
      probe.listen(8765, "127.0.0.1", () => probe.close(() => resolve()));
    });
    const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" });
    const tarball = out.trim().split("\n").pop()!;
    expect(readdirSync(dir)).toContain(tarball);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module", private: true }));
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", `./${tarball}`], { cwd: dir, encoding: "utf8", stdio: "pipe" });
    copyFileSync(join(ROOT, "docs/examples/seed-usage.ts"), join(dir, "seed-usage.ts"));

    const child = spawn(process.execPath, ["--import", "tsx", "seed-usage.ts"], { cwd: dir });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      let client: TestClient | undefined;
      for (let i = 0; i < 100 && !client; i++) {
        client = await TestClient.connect("ws://localhost:8765").catch(async () => {
          await new Promise((r) => setTimeout(r, 100));
          return undefined;
        });
      }
      expect(client, `could not connect to the example on port 8765 (is something else using it?) ${stderr}`).toBeDefined();
      const replay = await client!.waitForType("replay");
      expect(replay.data.events).toEqual([
        { type: "system_info", data: { version: "0.1.1", uptime: 3600, memory: 104857600 }, timestamp: "2025-05-01T12:34:56.789Z", seq: 1 },
      ]);
      // The typed client is exported too, and talks to the same server.
      const script = [
        'import WebSocket from "ws";',
        'import { CodaClient } from "coda-core/client";',
        'const c = new CodaClient({ url: "ws://127.0.0.1:8765", WebSocket });',
        "await c.connect();",
        "const info = await c.getSystemInfo();",
        "console.log(JSON.stringify({ clients: info.clients, protocol: info.protocol_version }));",
        "await c.close();",
      ].join("\n");
      const printed = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8" });
      expect(JSON.parse(printed)).toEqual({ clients: 2, protocol: "1.0" });
      child.kill("SIGINT");
      await client!.closed();
      expect(client!.closeCode).toBe(1001);
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 240_000);
});
