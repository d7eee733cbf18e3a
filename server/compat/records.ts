/** A JSON object (not null, not an array): what a legacy frame's fields are checked with before they are read. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
