/** Client profiles for clients that do not speak protocol v1 only, plugged into the transport by the composition root. */
export { createCodaLiteProfile, type CodaLiteProfileOptions } from "./coda-lite.js";
export type { LegacyEvent } from "./coda-lite-events.js";
