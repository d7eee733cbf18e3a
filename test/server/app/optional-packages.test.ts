/**
 * Optional parts (the inspector, tracing) load their packages only when
 * turned on; a package that is missing gives one error naming the packages
 * and the command that installs them, and any other failure passes through.
 * (test/e2e/package.test.ts turns both on in a consumer's install, where the
 * packages are really missing.)
 */
import { describe, expect, it } from "vitest";
import { loadOptional, MissingPackageError, OPTIONAL_PACKAGES } from "../../../server/app/optional-packages.js";

describe("loadOptional", () => {
  it("turns a missing package of the part into MissingPackageError naming what to install", async () => {
    // Node's own error for a package that is not installed, as tracing.ts's import would give it.
    const notFound = (name: string) => Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/coda-core/dist/server/telemetry/tracing.js`), { code: "ERR_MODULE_NOT_FOUND" });
    const missing = loadOptional("tracing", () => Promise.reject(notFound("@opentelemetry/sdk-trace")));
    await expect(missing).rejects.toBeInstanceOf(MissingPackageError);
    await expect(missing).rejects.toThrow(
      "Tracing (--tracing or OTEL_EXPORTER_OTLP_*) needs packages that are not installed: npm install @opentelemetry/api@~1.9.0 @opentelemetry/sdk-trace@^2.12.1 @opentelemetry/resources@^2.12.1 @opentelemetry/exporter-trace-otlp-http@0.223.1",
    );
    await expect(loadOptional("inspector", () => Promise.reject(notFound("@statelyai/inspect")))).rejects.toThrow(
      "The inspector (--inspect) needs a package that is not installed: npm install @statelyai/inspect@^0.7.2",
    );
  });

  it("passes other failures through, and a missing package that is not the part's", async () => {
    const boom = new Error("boom");
    await expect(loadOptional("tracing", () => Promise.reject(boom))).rejects.toBe(boom);
    await expect(loadOptional("tracing", () => import("left-" + "pad-not-installed"))).rejects.toMatchObject({ code: "ERR_MODULE_NOT_FOUND" });
  });

  it("loads the part when its packages are installed", async () => {
    const tracing = await loadOptional("tracing", () => import("../../../server/telemetry/tracing.js"));
    expect(typeof tracing.startTracing).toBe("function");
  });

  it("names the ranges package.json declares as optional peer dependencies", async () => {
    const pkg = (await import("../../../package.json", { with: { type: "json" } })).default as { peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional: boolean }> };
    const named = Object.values(OPTIONAL_PACKAGES).flatMap((p) => p.packages.map((spec) => [spec.slice(0, spec.lastIndexOf("@")), spec.slice(spec.lastIndexOf("@") + 1)]));
    expect(Object.fromEntries(named)).toEqual(pkg.peerDependencies);
    for (const [name] of named) expect(pkg.peerDependenciesMeta[name!]).toEqual({ optional: true });
  });
});
