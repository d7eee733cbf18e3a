/**
 * Watch the voice machine in the Stately inspector (docs/inspect.md):
 * `inspect: true` starts a loopback relay and `coda.inspectorUrl` is the page
 * to open in a browser on this machine (it embeds Stately's hosted inspector,
 * so that page needs the internet). Run a turn (the dashboard's Demo button)
 * and watch the states change. Run with `npx tsx inspector.ts`; Ctrl-C stops it.
 */
import { createCodaServer } from "coda-core";

const coda = await createCodaServer({
  port: Number(process.env.CODA_PORT ?? 8765),
  inspect: true,
  memoryDb: "off",
  ttsEngine: "none",
});
console.log(`Coda listening on ${coda.url}; inspector page: ${coda.inspectorUrl}`);

process.once("SIGINT", () => void coda.stop());
