/**
 * Generates the settings table of docs/configuration.md from the SETTINGS
 * table (`npm run docs:config`); a test fails when it drifts.
 */
import { formatDefault, settingEntries, type SettingSpec } from "../app/config.js";

function defaultCell(s: SettingSpec): string {
  const value = formatDefault(s);
  if (value !== undefined) return `\`${value.replace(/\|/g, "\\|")}\``;
  return s.kind === "list" ? "(empty)" : "(none)";
}

export function configTable(): string {
  const rows = settingEntries().map(([key, s]) => {
    const flag = s.flag ? `\`--${s.flag}\`` : "(environment only)";
    const env = s.env.map((e) => `\`${e}\``).join(" or ");
    return `| \`${key}\` | ${flag} | ${env} | ${s.kind} | ${defaultCell(s)} | ${s.description.replace(/\|/g, "\\|")} |`;
  });
  return ["| setting (config file key) | flag | environment | type | default | description |", "|---|---|---|---|---|---|", ...rows].join("\n") + "\n";
}

export function renderConfigDoc(markdown: string): string {
  const re = /(<!-- generated:settings -->\n)[\s\S]*?(<!-- \/generated:settings -->)/;
  if (!re.test(markdown)) throw new Error("docs/configuration.md lacks the <!-- generated:settings --> block");
  return markdown.replace(re, (_m, open: string, close: string) => `${open}${configTable()}${close}`);
}
