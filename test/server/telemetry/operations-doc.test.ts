/**
 * docs/operations.md lists every Coda metric /metrics exposes, every
 * telemetry setting, and shows the trace picture it links.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SETTINGS, type SettingSpec } from "../../../server/app/config.js";
import { CodaMetrics } from "../../../server/telemetry/prometheus.js";
import { createWireTally } from "../../../server/telemetry/wire-tally.js";
import { ROOT } from "../../helpers/cli.js";

describe("docs/operations.md", () => {
  const doc = readFileSync(`${ROOT}docs/operations.md`, "utf8");

  it("documents every coda_* metric with its labels", async () => {
    const metrics = await new CodaMetrics({ clients: () => 0, sessions: () => 1, tally: createWireTally() }).registry.getMetricsAsJSON();
    const coda = metrics.filter((m) => m.name.startsWith("coda_"));
    const documented = [...doc.matchAll(/^\| `(coda_[a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(coda.map((m) => m.name).sort());
    for (const m of coda) {
      expect(doc, m.name).toContain(`| \`${m.name}\` | ${m.type} |`);
      for (const label of new Set(m.values.flatMap((v) => Object.keys(v.labels)).filter((l) => l !== "le"))) expect(doc, `${m.name} ${label}`).toMatch(new RegExp(`\\| \`${m.name}\` \\| ${m.type} \\|[^\\n]*\`${label}\``));
    }
  });

  it("names the operations settings and links a trace picture that exists", () => {
    for (const key of ["logLevel", "metrics", "tracing", "tracingEndpoint", "tracingContent"]) {
      expect(doc, key).toContain(`--${(SETTINGS[key as keyof typeof SETTINGS] as SettingSpec).flag}`);
    }
    expect(doc).toContain("![One turn's trace");
    expect(existsSync(`${ROOT}docs/trace.svg`)).toBe(true);
  });
});
