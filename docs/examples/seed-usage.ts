// The seed's usage example, in TypeScript: start the server, broadcast an
// event, run until Ctrl-C, then stop. Run it with `npx tsx seed-usage.ts`.
import { WebSocketServer } from "coda-core";

async function main() {
  const server = new WebSocketServer({ host: "localhost", port: 8765 });
  await server.start();

  // Broadcast an event
  const event = {
    type: "system_info" as const,
    data: {
      version: "0.1.1",
      uptime: 3600,
      memory: 1024 * 1024 * 100,
    },
    timestamp: "2025-05-01T12:34:56.789Z",
  };
  await server.broadcast(event);

  // Run forever (until Ctrl-C)
  try {
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  } finally {
    await server.stop();
  }
}

main();
