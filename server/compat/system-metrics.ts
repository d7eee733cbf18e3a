/**
 * Coda Lite's `system_metrics` event: process RSS in MiB and the CPU the
 * process used since the previous sample, in percent of one core. No GPU is
 * used. The `coda-lite` profile sends one to its clients every
 * `systemMetricsIntervalMs`.
 */
import { cpuUsage, memoryUsage } from "node:process";
import type { LegacyEvent } from "./coda-lite-events.js";

export class SystemMetricsSampler {
  #cpu = cpuUsage();
  #at = performance.now();

  sample(): LegacyEvent {
    const cpu = cpuUsage(this.#cpu);
    const now = performance.now();
    const elapsedUs = Math.max(1, (now - this.#at) * 1000);
    this.#cpu = cpuUsage();
    this.#at = now;
    const cpuPercent = Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10;
    return {
      type: "system_metrics",
      data: { memory_mb: Math.round((memoryUsage.rss() / 1048576) * 10) / 10, cpu_percent: cpuPercent, gpu_vram_mb: 0 },
      timestamp: new Date().toISOString(),
    };
  }
}
