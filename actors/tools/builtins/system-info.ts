/**
 * The `system_info` built-in: server version, uptime and memory use, the
 * same figures as the protocol's system_info event.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { defineTool } from "../registry.js";

/** What `system_info` returns; a custom provider may add fields. */
export interface SystemInfo {
  version: string;
  /** Seconds since the process started. */
  uptime: number;
  /** Resident set size, bytes. */
  memory: number;
  [key: string]: unknown;
}

/** Version of the coda-core package, found by walking up from this file (works from source and from dist/). */
export function packageVersion(): string {
  let url = new URL("./", import.meta.url);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "coda-core" && typeof pkg.version === "string") return pkg.version;
    } catch {
      /* not here; go up */
    }
    url = new URL("../", url);
  }
  return "unknown";
}

/** The default provider: this process's figures. */
export function processSystemInfo(): SystemInfo {
  const mem = process.memoryUsage();
  return {
    version: packageVersion(),
    uptime: Math.round(process.uptime() * 1000) / 1000,
    memory: mem.rss,
    heap_used: mem.heapUsed,
    node: process.version,
    platform: process.platform,
  };
}

/** The `system_info` tool; `provider` replaces the default figures (the server passes its own). */
export function createSystemInfoTool(provider: () => SystemInfo | Promise<SystemInfo> = processSystemInfo) {
  return defineTool({
    name: "system_info",
    description: "Get information about the assistant's server: version, uptime in seconds and memory use in bytes.",
    input: z.object({}),
    timeoutMs: 2000,
    handler: () => provider(),
  });
}
