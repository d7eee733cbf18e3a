/**
 * Server-sent events, reduced to what chat-completion streams use: `data:`
 * fields joined into one payload per event, comments (`:`) and other fields
 * ignored, an event dispatched at a blank line (or at the end of the stream).
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field, "message" when absent. */
  event: string;
  /** The `data:` lines of the event joined with "\n". */
  data: string;
}

/** Turn a stream of lines (see readLines) into server-sent events. */
export async function* parseSse(lines: AsyncIterable<string>): AsyncGenerator<SseEvent> {
  let data: string[] = [];
  let event = "message";
  for await (const line of lines) {
    if (line === "") {
      if (data.length > 0) yield { event, data: data.join("\n") };
      data = [];
      event = "message";
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
  }
  // A server that ends without the final blank line still meant its last event.
  if (data.length > 0) yield { event, data: data.join("\n") };
}
