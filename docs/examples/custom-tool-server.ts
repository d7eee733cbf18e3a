/**
 * The whole pipeline of `npm start` from code, with a custom tool in the
 * model's tool list. Needs Ollama with a tool-calling model (for example
 * `ollama pull llama3.2`) at CODA_OLLAMA_URL or http://127.0.0.1:11434.
 * Run it in an ES module project ("type": "module") with
 * `npx tsx custom-tool-server.ts`, open the printed dashboard and ask
 * "what is 100 Celsius in Fahrenheit?". Ctrl-C stops it.
 */
import { createCodaServer } from "coda-core";
import { convertTemperature } from "./custom-tool.js";

const coda = await createCodaServer({
  port: Number(process.env.CODA_PORT ?? 8765), // 0 picks a free port; coda.url says which
  llmEngine: "ollama",
  ollamaUrl: process.env.CODA_OLLAMA_URL, // undefined: the default, http://127.0.0.1:11434
  memoryDb: "off", // memory in this process only
  ttsEngine: "none", // text answers only
  tools: [convertTemperature], // next to the built-ins (get_time, calculate, ...)
});
console.log(`Coda listening on ${coda.url}, dashboard at ${coda.url.replace(/^ws/, "http")}/`);
for (const line of coda.descriptions) console.log(`  ${line}`);

process.once("SIGINT", () => void coda.stop());
