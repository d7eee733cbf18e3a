/**
 * Generates the reference sections of docs/protocol.md from the zod schemas
 * and examples. The prose around them is written by hand; the generated
 * parts sit between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`.
 */
import { z } from "zod";
import { COMMAND_DATA, COMMAND_TYPES } from "./commands.js";
import { COMMAND_ERROR_CODES } from "./errors.js";
import { DIRECT_EVENT_TYPES, EVENT_DATA, EVENT_TYPES } from "./events.js";
import { exampleCommand, exampleEvent } from "./examples.js";

// A JSON Schema node as z.toJSONSchema writes it: walked generically, so its fields are untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function typeOf(s: Json): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v: unknown) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" \\| ");
  if (s.oneOf) return s.oneOf.map(typeOf).join(" \\| ");
  if (s.$ref) return s.$ref.replace("#/$defs/", "");
  if (s.type === "array") return `${s.items ? typeOf(s.items) : "any"}[]`;
  if (s.type === "null") return "null";
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties) return `map of ${typeOf(s.additionalProperties)}`;
  if (s.type === "object") return "object";
  if (s.type === "integer") return "integer";
  return s.type ?? "any";
}

function fieldRows(schema: z.ZodType, io: "input" | "output", prefix = ""): string[] {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as Json;
  return rowsOf(json, prefix);
}

function rowsOf(json: Json, prefix: string): string[] {
  const rows: string[] = [];
  const required = new Set<string>(json.required ?? []);
  for (const [name, prop] of Object.entries<Json>(json.properties ?? {})) {
    const path = prefix + name;
    let desc = (prop.description ?? prop.anyOf?.find((x: Json) => x.description)?.description ?? "").replace(/\|/g, "\\|");
    if (desc && !/[.)]$/.test(desc)) desc += ".";
    const def = prop.default !== undefined ? ` Default: \`${JSON.stringify(prop.default)}\`.` : "";
    rows.push(`| \`${path}\` | ${typeOf(prop)} | ${required.has(name) ? "yes" : "no"} | ${desc}${def} |`);
    if (prop.type === "object" && prop.properties) rows.push(...rowsOf(prop, `${path}.`));
    if (prop.type === "array" && prop.items?.properties) rows.push(...rowsOf(prop.items, `${path}[].`));
  }
  return rows;
}

function table(rows: string[]): string {
  if (rows.length === 0) return "No fields: `data` is `{}`.\n";
  return ["| field | type | required | description |", "|---|---|---|---|", ...rows].join("\n") + "\n";
}

function eventsSection(): string {
  const parts: string[] = [];
  for (const type of EVENT_TYPES) {
    const schema = EVENT_DATA[type];
    const direct = (DIRECT_EVENT_TYPES as readonly string[]).includes(type) ? " Sent to one client only; not logged (no `seq`)." : "";
    parts.push(`### \`${type}\` event\n\n${schema.description ?? ""}.${direct}\n\n${table(fieldRows(schema, "output"))}\n\`\`\`json\n${JSON.stringify(exampleEvent(type))}\n\`\`\`\n`);
  }
  return parts.join("\n");
}

function commandsSection(): string {
  const parts: string[] = [];
  for (const type of COMMAND_TYPES) {
    const schema = COMMAND_DATA[type];
    parts.push(`### \`${type}\` command\n\n${schema.description ?? ""}.\n\n${table(fieldRows(schema, "input"))}\n\`\`\`json\n${JSON.stringify(exampleCommand(type))}\n\`\`\`\n`);
  }
  return parts.join("\n");
}

function listSection(): string {
  return [
    `Events (${EVENT_TYPES.length}): ${EVENT_TYPES.map((t) => `\`${t}\``).join(", ")}.`,
    "",
    `Commands (${COMMAND_TYPES.length}): ${COMMAND_TYPES.map((t) => `\`${t}\``).join(", ")}.`,
    "",
    `Command error codes (${COMMAND_ERROR_CODES.length}): ${COMMAND_ERROR_CODES.map((c) => `\`${c}\``).join(", ")}.`,
    "",
  ].join("\n");
}

/** The generated blocks, by name. */
export function protocolDocBlocks(): Record<string, string> {
  return { summary: listSection(), events: eventsSection(), commands: commandsSection() };
}

/** Replace every generated block in `markdown`; throws when a block marker is missing. */
export function renderProtocolDoc(markdown: string): string {
  let out = markdown;
  for (const [name, body] of Object.entries(protocolDocBlocks())) {
    const re = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!re.test(out)) throw new Error(`docs/protocol.md lacks the <!-- generated:${name} --> block`);
    out = out.replace(re, (_m, open: string, close: string) => `${open}${body}${close}`);
  }
  return out;
}
