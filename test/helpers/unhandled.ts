/** Collect unhandled rejections and uncaught exceptions for the duration of a describe block. */
import { afterAll, beforeAll } from "vitest";

/** Returns the list the listeners fill; assert it is empty at the end of a test. */
export function captureUnhandled(): unknown[] {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  beforeAll(() => {
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtException", onUnhandled);
  });
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtException", onUnhandled);
  });
  return seen;
}
