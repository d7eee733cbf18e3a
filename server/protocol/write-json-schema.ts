/** Script: regenerate docs/protocol.schema.json from the zod schemas (`npm run docs:schema`). */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildProtocolSchema } from "./json-schema.js";

const target = fileURLToPath(new URL("../../docs/protocol.schema.json", import.meta.url));
writeFileSync(target, JSON.stringify(buildProtocolSchema(), null, 2) + "\n");
console.log(`wrote ${target}`);
