/** The configuration: precedence, coercion, precise errors, and the generated docs table. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, helpText, loadConfig, SETTINGS } from "../../../server/app/config.js";
import { renderConfigDoc } from "../../../server/docs-gen/config-docs.js";
import { ROOT } from "../../helpers/cli.js";

function file(content: unknown): string {
  const p = join(mkdtempSync(join(tmpdir(), "coda-config-")), "c.json");
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

describe("loadConfig", () => {
  it("uses defaults when nothing is given", () => {
    const { config } = loadConfig([], {});
    expect(config).toMatchObject({ host: "localhost", port: 8765, replaySize: 10000, replayMaxBytes: 4194304, replayTurns: 20, allowedOrigins: [], verbose: false });
  });

  it("flag > environment > file > default", () => {
    const f = file({ port: 1111, replaySize: 11, host: "127.0.0.1" });
    const env = { CODA_PORT: "2222", CODA_REPLAY_SIZE: "22" };
    expect(loadConfig(["--config", f, "--port", "3333"], env).config).toMatchObject({ port: 3333, replaySize: 22, host: "127.0.0.1" });
  });

  it("lists come from repeated flags, commas, or a JSON array", () => {
    expect(loadConfig(["--allowed-origin", "http://a:1", "--allowed-origin", "http://b:2,http://c:3"], {}).config.allowedOrigins).toEqual(["http://a:1", "http://b:2", "http://c:3"]);
    expect(loadConfig([], { CODA_ALLOWED_ORIGINS: "http://a:1, http://b:2" }).config.allowedOrigins).toEqual(["http://a:1", "http://b:2"]);
    expect(loadConfig(["--config", file({ allowedHosts: ["coda.lan"] })], {}).config.allowedHosts).toEqual(["coda.lan"]);
  });

  it.each([
    [["--port", "x"], {}, 'Invalid port (from --port): expected a number, got "x"'],
    [[], { CODA_PORT: "70000" }, "Invalid port (from CODA_PORT)"],
    [[], { CODA_VERBOSE: "maybe" }, 'Invalid verbose (from CODA_VERBOSE): expected true or false, got "maybe"'],
    [["--token", "short"], {}, "Invalid token (from --token)"],
    [["--nope"], {}, "Unknown option '--nope'"],
  ] as [string[], NodeJS.ProcessEnv, string][])("%j %j -> ConfigError naming the setting", (argv, env, message) => {
    expect(() => loadConfig(argv, env)).toThrow(ConfigError);
    expect(() => loadConfig(argv, env)).toThrow(message);
  });

  it("config file problems name the file", () => {
    expect(() => loadConfig(["--config", "/nonexistent/coda.json"], {})).toThrow(/Cannot read config file \/nonexistent\/coda.json/);
    expect(() => loadConfig(["--config", file("[1]")], {})).toThrow(/must hold a JSON object/);
    expect(() => loadConfig(["--config", file({ prot: 1 })], {})).toThrow(/Unknown setting "prot" in config file/);
    expect(() => loadConfig(["--config", file({ port: true })], {})).toThrow(/Invalid port \(from config file/);
  });

  it("API keys come only from the environment: no flag, refused in a config file, never echoed", () => {
    expect(loadConfig([], { OPENAI_API_KEY: "sk-b", CODA_STT_API_KEY: "sk-s" }).config).toMatchObject({ openaiApiKey: "sk-b", sttApiKey: "sk-s" });
    expect(loadConfig([], { CODA_OPENAI_API_KEY: "sk-a", OPENAI_API_KEY: "sk-b" }).config.openaiApiKey).toBe("sk-a");
    expect(() => loadConfig(["--openai-api-key", "sk-x"], {})).toThrow("Unknown option '--openai-api-key'");
    expect(() => loadConfig(["--config", file({ openaiApiKey: "sk-in-a-file" })], {})).toThrow(
      /^openaiApiKey is read only from the environment \(CODA_OPENAI_API_KEY or OPENAI_API_KEY\), never from a config file; remove it from /,
    );
    expect(helpText()).not.toContain("sk-");
    expect(helpText()).toContain("CODA_OPENAI_API_KEY or OPENAI_API_KEY: Bearer key of the OpenAI-compatible chat server.");
  });

  it("--help has a space between every flag and its text", () => {
    expect(helpText()).toContain("  --audio-frames-per-second N Binary audio frames");
  });

  it("--help mentions every setting's flag and environment variable", () => {
    const text = helpText();
    for (const s of Object.values(SETTINGS)) {
      if ("flag" in s) expect(text).toContain(`--${s.flag}`);
      for (const env of s.env) expect(text).toContain(env);
    }
  });
});

describe("docs/configuration.md", () => {
  it("lists every setting as generated (npm run docs:config)", () => {
    const current = readFileSync(`${ROOT}docs/configuration.md`, "utf8");
    expect(renderConfigDoc(current), "docs/configuration.md is stale: run npm run docs:config").toBe(current);
  });
});
