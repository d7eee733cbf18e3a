/** Script (`npm run docs:protocol`): regenerate docs/protocol.schema.json, docs/asyncapi.yaml and the generated blocks of docs/protocol.md. */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildAsyncApiYaml } from "./asyncapi.js";
import { renderProtocolDoc } from "./docs.js";
import { buildProtocolSchema } from "./json-schema.js";

const doc = (name: string) => fileURLToPath(new URL(`../../docs/${name}`, import.meta.url));
writeFileSync(doc("protocol.schema.json"), JSON.stringify(buildProtocolSchema(), null, 2) + "\n");
writeFileSync(doc("protocol.md"), renderProtocolDoc(readFileSync(doc("protocol.md"), "utf8")));
writeFileSync(doc("asyncapi.yaml"), buildAsyncApiYaml());
console.log("wrote docs/protocol.schema.json, docs/protocol.md and docs/asyncapi.yaml");
