/**
 * Wording a new user tripped over: generated docs state each default once
 * (the generator appends "Default: `x`", so a description must not say it
 * too), and every option line of --help has a space between the flag and
 * its description, however long the flag.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { helpText } from "../../../server/app/config.js";
import { ROOT } from "../../helpers/cli.js";

describe("generated docs and --help", () => {
  it.each(["docs/protocol.md", "docs/configuration.md"])("%s never gives a default twice", (file) => {
    const doubled = readFileSync(join(ROOT, file), "utf8")
      .split("\n")
      .filter((line) => /\(default:? [^)]*\).*Default: `/i.test(line));
    expect(doubled).toEqual([]);
  });

  it("--help separates every flag from its description", () => {
    const options = helpText().split("\n").filter((l) => l.startsWith("  --"));
    expect(options.length).toBeGreaterThan(20);
    for (const line of options) expect(line, line).toMatch(/^ {2}--[a-z][a-z0-9-]*(?: (?:N|VALUE|PATH))? +\S/);
    expect(helpText()).toContain("--audio-frames-per-second N Binary audio frames");
  });
});
