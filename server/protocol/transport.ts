/**
 * The parts of the wire contract that are not JSON messages: the query
 * parameters of the WebSocket upgrade URL, the binary (audio) frames and the
 * ways to present the token. docs/asyncapi.yaml is generated from these and
 * from the message schemas; server.ts and handshake.ts implement them.
 */
import { z } from "zod";
import { INPUT_PCM } from "../../actors/audio.js";
import { USER_ID_PATTERN } from "../../actors/contracts/user.js";
import { SESSION_ID_PATTERN } from "./common.js";

/** Query parameters of `ws://host:port/?session=kitchen&user=ana&since=41&audio=1&compat=coda-lite` (the path is always `/`). All optional. */
export const ConnectQuery = z
  .strictObject({
    session: z
      .string()
      .regex(SESSION_ID_PATTERN)
      .optional()
      .describe(
        "The conversation to join, created on its first join: 1 to 64 of A-Z a-z 0-9 _ -. Its events, seq, epoch, replay, state, audio owner and playout are its own. Absent: `default` (a scoped token's session, when the token names one). Not an id: HTTP 400; one more session than maxSessions: HTTP 503; a scoped token for another session: HTTP 403",
      )
      .meta({ examples: ["kitchen"] }),
    user: z
      .string()
      .regex(USER_ID_PATTERN)
      .optional()
      .describe(
        "The user this connection acts for, who owns long-term memory: the turns it starts recall and store this user's memories, and memory_list/search/forget see only them. Same id rule; absent: `default` (a scoped token's user). Not an id: HTTP 400; different from a scoped token's user: HTTP 403",
      )
      .meta({ examples: ["ana"] }),
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

/**
 * Ways to present the token (required when the server listens beyond
 * loopback, optional otherwise): the server's `token`, which admits every
 * session and user, or a session-scoped token (a JWT signed with
 * `tokenSecret`, HS256, claims `session` and `user`), presented the same way.
 */
export const TOKEN_PRESENTATIONS = {
  bearer: { header: "Authorization", description: "`Authorization: Bearer <token>` on the upgrade request (and on HTTP routes). The token is the server's token, or a session-scoped JWT." },
  subprotocol: {
    header: "Sec-WebSocket-Protocol",
    description: "For browsers, which cannot set headers: offer the subprotocols `coda.v1` and `coda-token.<token>` (the server selects coda.v1).",
  },
} as const;
