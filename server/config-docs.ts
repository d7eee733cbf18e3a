/**
 * Generates the settings table of docs/configuration.md from the SETTINGS
 * table (`npm run docs:config`); a test fails when it drifts.
 */
import { SETTINGS, type SettingSpec } from "./config.js";

function defaultOf(s: SettingSpec): string {
  if (s.default === undefined) return "(none)";
  if (Array.isArray(s.default)) return s.default.length ? `\`${s.default.join(",")}\`` : "(empty)";
  return `\`${String(s.default)}\``;
}

export function configTable(specs: SettingSpec[] = SETTINGS): string {
  const rows = specs.map((s) => `| \`${s.key}\` | \`--${s.flag}\` | \`${s.env}\` | ${s.kind} | ${defaultOf(s)} | ${s.description.replace(/\|/g, "\\|")} |`);
  return ["| setting (config file key) | flag | environment | type | default | description |", "|---|---|---|---|---|---|", ...rows].join("\n") + "\n";
}

export function renderConfigDoc(markdown: string): string {
  const re = /(<!-- generated:settings -->\n)[\s\S]*?(<!-- \/generated:settings -->)/;
  if (!re.test(markdown)) throw new Error("docs/configuration.md lacks the <!-- generated:settings --> block");
  return markdown.replace(re, (_m, open: string, close: string) => `${open}${configTable()}${close}`);
}
