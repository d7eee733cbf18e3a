/**
 * The in-memory store for tests. It is also what the server uses when
 * long-term memory is off (a product feature), so it lives in
 * actors/memory/in-memory.ts; tests import it from here as from every other fake.
 */
export { InMemoryStore, contentWords, type InMemoryStoreOptions } from "../in-memory.js";
