/**
 * What a WebSocket upgrade asks for, read from its request target: the
 * endpoint (`/`, the only path that upgrades: plain HTTP routes such as
 * `/health` are not WebSocket endpoints), `since` (resume), `audio=1` and
 * `compat` (a client profile). Anything it cannot honour is a refusal with
 * an HTTP status and a reason (docs/protocol.md, "Connecting").
 */
import type { Refusal } from "./handshake.js";
import type { ClientProfile } from "./profile.js";
import type { ProfileRegistry } from "./profiles.js";
import { parseRequestTarget } from "./request-target.js";

/** The only path a WebSocket client connects to. */
export const WS_PATH = "/";

export interface ConnectParams {
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
  const sinceParam = query.get("since");
  let since: number | null = null;
  if (sinceParam !== null) {
    if (!/^\d{1,15}$/.test(sinceParam)) return { status: 400, reason: "since must be a non-negative integer (the last seq you saw)" };
    since = Number(sinceParam);
  }
  const compat = query.get("compat");
  const profile = compat === null ? profiles.default : profiles.find(compat);
  if (profile === undefined) return { status: 400, reason: `compat must be one of: ${profiles.names.join(", ")}` };
  return { since, wantsAudio: query.get("audio") === "1", profile };
}
