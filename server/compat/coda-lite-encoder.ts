/**
 * The outbound half of the `coda-lite` profile (an EventEncoder,
 * server/transport/profile.ts): the frames a Coda Lite client gets for each
 * logged event, and its `replay`, which is the v1 replay with, at the top
 * level, `events`: the legacy events a reload rebuilds its views from.
 */
import type { LoggedEvent } from "../protocol/index.js";
import type { BuiltReplay, EventEncoder } from "../transport/index.js";
import { CodaLiteTranslator, replayedLegacyEvents, type LegacyEvent } from "./coda-lite-events.js";

/** A legacy frame: not a v1 event, so not validated against the v1 schemas. */
export function encodeLegacy(event: LegacyEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}

export class CodaLiteEncoder implements EventEncoder {
  readonly #translator = new CodaLiteTranslator();

  /** The event itself (its v1 frame when the profile adds nothing to it), then the legacy events made from it. */
  encode(event: LoggedEvent, frame: Buffer): Buffer[] {
    return this.#translator.translate(event).map((e) => (e === event ? frame : encodeLegacy(e)));
  }

  /**
   * `{"type":"replay","data":<the v1 replay>,"timestamp":...,"events":[...]}`:
   * the v1 frame's bytes with `events` appended, byte for byte what
   * JSON.stringify of the v1 replay plus `events` gives.
   */
  encodeReplay(replay: BuiltReplay): Buffer {
    const v1 = replay.frame;
    const events = JSON.stringify(replayedLegacyEvents(replay.logged()));
    // The v1 frame is one JSON object: drop its closing brace, add the field, close it again.
    return Buffer.concat([v1.subarray(0, v1.length - 1), Buffer.from(`,"events":${events}}`)]);
  }
}
