/**
 * Parts a user turns on by choice (the Stately inspector, OpenTelemetry
 * tracing) whose packages are optional: they are not installed with
 * coda-core (optional peer dependencies) and are loaded only when the part
 * is turned on. When they are missing, the error names the packages and the
 * command that installs them.
 */

/** The optional parts and the packages each needs (the ranges of package.json's peerDependencies). */
export const OPTIONAL_PACKAGES = {
  inspector: { what: "The inspector (--inspect)", packages: ["@statelyai/inspect@^0.7.2"] },
  tracing: {
    what: "Tracing (--tracing or OTEL_EXPORTER_OTLP_*)",
    packages: ["@opentelemetry/api@~1.9.0", "@opentelemetry/sdk-trace@^2.12.1", "@opentelemetry/resources@^2.12.1", "@opentelemetry/exporter-trace-otlp-http@0.223.1"],
  },
} as const;

export type OptionalPart = keyof typeof OPTIONAL_PACKAGES;

/** An optional part was turned on but its packages are not installed. */
export class MissingPackageError extends Error {
  override readonly name = "MissingPackageError";
  constructor(
    readonly part: OptionalPart,
    options?: ErrorOptions,
  ) {
    const { what, packages } = OPTIONAL_PACKAGES[part];
    super(`${what} needs ${packages.length > 1 ? "packages that are" : "a package that is"} not installed: npm install ${packages.join(" ")}`, options);
  }
}

/**
 * Load an optional part's module. A module of its packages that cannot be
 * found becomes MissingPackageError; any other failure is rethrown as is.
 * @example const { startTracing } = await loadOptional("tracing", () => import("../telemetry/tracing.js"));
 */
export async function loadOptional<T>(part: OptionalPart, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const names = OPTIONAL_PACKAGES[part].packages.map((p) => p.slice(0, p.lastIndexOf("@")));
    if (code === "ERR_MODULE_NOT_FOUND" && names.some((n) => String((err as Error).message).includes(`'${n}'`))) throw new MissingPackageError(part, { cause: err });
    throw err;
  }
}
