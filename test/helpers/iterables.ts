/** Draining async iterables (engine streams, token streams, audio sources) in tests. */

/** Every item `iterable` yields, in order; rejects with what it throws. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Every item `iterable` yields, and what it threw (undefined when it ended cleanly), keeping what arrived before the error. */
export async function settle<T>(iterable: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of iterable) items.push(item);
    return { items, error: undefined };
  } catch (error) {
    return { items, error };
  }
}
