/**
 * What a WebSocket upgrade asks for, read from its request target: the
 * endpoint (`/`, the only path that upgrades: plain HTTP routes such as
 * `/health` are not WebSocket endpoints), `session` (the conversation),
 * `user` (the owner of memory), `since` (resume), `audio=1` and
 * `compat` (a client profile). Anything it cannot honour is a refusal with
 * an HTTP status and a reason (docs/protocol.md, "Connecting").
 */
import type { Refusal } from "./handshake.js";
import type { ClientProfile } from "./profile.js";
import type { ProfileRegistry } from "./profiles.js";
import { parseRequestTarget } from "./request-target.js";
import { SESSION_ID_PATTERN } from "../protocol/index.js";
import { USER_ID_PATTERN } from "../../actors/contracts/user.js";

/** The only path a WebSocket client connects to. */
export const WS_PATH = "/";

export interface ConnectParams {
  /** The session it asked for (`?session=`), or null when it named none. */
  session: string | null;
  /** The user it asked to act as (`?user=`), or null when it named none. */
  user: string | null;
  /** The last seq the client saw, or null for a new client. */
  since: number | null;
  /** It asked (`audio=1`) to receive synthesised speech. */
  wantsAudio: boolean;
  /** The profile it asked for, or the server's default; null: protocol v1 only. */
  profile: ClientProfile | null;
}

/** The parameters of an upgrade to `target` (req.url), or why it is refused. */
export function readConnectParams(target: string | undefined, profiles: ProfileRegistry): ConnectParams | Refusal {
  const parsed = parseRequestTarget(target);
  if (!parsed) return { status: 400, reason: "Bad request target: expected /path?query" };
  if (parsed.path !== WS_PATH) {
    return { status: 404, reason: "No WebSocket endpoint at this path: connect to ws://host:port/ (plain HTTP routes such as /health are not WebSocket endpoints)" };
  }
  const query = parsed.query;
  const session = query.get("session");
  if (session !== null && !SESSION_ID_PATTERN.test(session)) return { status: 400, reason: "session must be 1 to 64 letters, digits, '_' or '-'" };
  const user = query.get("user");
  if (user !== null && !USER_ID_PATTERN.test(user)) return { status: 400, reason: "user must be 1 to 64 letters, digits, '_' or '-'" };
  const sinceParam = query.get("since");
  let since: number | null = null;
  if (sinceParam !== null) {
    if (!/^\d{1,15}$/.test(sinceParam)) return { status: 400, reason: "since must be a non-negative integer (the last seq you saw)" };
    since = Number(sinceParam);
  }
  const compat = query.get("compat");
  const profile = compat === null ? profiles.default : profiles.find(compat);
  if (profile === undefined) return { status: 400, reason: `compat must be one of: ${profiles.names.join(", ")}` };
  return { session, user, since, wantsAudio: query.get("audio") === "1", profile };
}
