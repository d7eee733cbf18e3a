/**
 * Build step (`npm run build`, after tsc): bundle the dashboard's typed
 * client into dist/server/dashboard/client.bundle.js, so that the installed
 * package serves it as a file and needs no bundler at run time.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleBrowserClient, CLIENT_BUNDLE_FILE } from "./bundle.js";

const out = fileURLToPath(new URL(`../../dist/server/dashboard/${CLIENT_BUNDLE_FILE}`, import.meta.url));
mkdirSync(fileURLToPath(new URL("../../dist/server/dashboard/", import.meta.url)), { recursive: true });
writeFileSync(out, await bundleBrowserClient(fileURLToPath(new URL("../client/index.ts", import.meta.url))));
console.log(`wrote dist/server/dashboard/${CLIENT_BUNDLE_FILE}`);
