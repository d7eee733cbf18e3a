/** Script (`npm run docs:config`): regenerate the settings table in docs/configuration.md. */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderConfigDoc } from "./config-docs.js";

const target = fileURLToPath(new URL("../../docs/configuration.md", import.meta.url));
writeFileSync(target, renderConfigDoc(readFileSync(target, "utf8")));
console.log("wrote docs/configuration.md");
