/**
 * The parts of the wire contract that are not JSON messages: the query
 * parameters of the WebSocket upgrade URL, the binary (audio) frames and the
 * ways to present the token. docs/asyncapi.yaml is generated from these and
 * from the message schemas; server.ts and handshake.ts implement them.
 */
import { z } from "zod";
import { INPUT_PCM } from "../../actors/audio.js";

/** Query parameters of `ws://host:port/?since=41&audio=1&compat=coda-lite` (the path is always `/`). All optional. */
export const ConnectQuery = z
  .strictObject({
    since: z
      .string()
      .regex(/^\d{1,15}$/)
      .optional()
      .describe(
        "Resume after this seq (the last one you saw): the replay holds exactly the events after it, in order, or says how many can no longer be replayed (`missed`). Not a non-negative integer: HTTP 400",
      )
      .meta({ examples: ["41"] }),
    audio: z
      .string()
      .optional()
      .describe("`1`: also receive synthesised speech as binary frames (any other value: no audio)")
      .meta({ examples: ["1"] }),
    compat: z
      .string()
      .optional()
      .describe(
        "Client profile of this connection: `none` protocol v1 only, or a profile the server registers: `npm start` and createCodaServer register `coda-lite`, which speaks Coda Lite's wire protocol (docs/compat-coda-lite.md). Default: the server's --compat setting. A name the server does not know: HTTP 400 with the known ones",
      )
      .meta({ examples: ["coda-lite"] }),
  })
  .describe("Query parameters of the WebSocket URL");

/** Binary frames in each direction. */
export const BINARY_FRAMES = {
  microphone: {
    title: "Microphone audio",
    summary: `Raw PCM for the current stt_start: ${INPUT_PCM.sample_rate} Hz, signed 16-bit little-endian (${INPUT_PCM.sample_type}), ${INPUT_PCM.channels === 1 ? "mono" : `${INPUT_PCM.channels} channels`}`,
    description:
      "Sent by a client that streams its own audio after its stt_start was accepted. Without an open stream for that client the frame is refused with command_error `unexpected_binary`. In a continuous session, frames sent while the assistant answers are not refused: they are dropped, or, when barge-in applies (stt_start echo_cancellation, the bargeIn setting), watched for speech that interrupts the answer and becomes the next utterance. Frames of 10 ms or longer; at most audioFramesPerSecond (default 100) per second.",
  },
  speech: {
    title: "Synthesised speech",
    summary: "Raw PCM of the tts_progress event that precedes it, in the format announced by that turn's tts_start (sample_rate, sample_type, channels)",
    description: "Sent only to clients that connected with `?audio=1`.",
  },
} as const;

/** Ways to present the token (required when the server listens beyond loopback, optional otherwise). */
export const TOKEN_PRESENTATIONS = {
  bearer: { header: "Authorization", description: "`Authorization: Bearer <token>` on the upgrade request (and on HTTP routes)." },
  subprotocol: {
    header: "Sec-WebSocket-Protocol",
    description: "For browsers, which cannot set headers: offer the subprotocols `coda.v1` and `coda-token.<token>` (the server selects coda.v1).",
  },
} as const;
