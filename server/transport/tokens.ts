/**
 * Session-scoped tokens: a JWT signed with the server's `tokenSecret`
 * (HS256 only) whose claims `session` and `user` name the one conversation
 * and the one user it admits, with an optional `exp`. Verified with
 * `jose`'s `jwtVerify` (loaded on first use, so a server without
 * `tokenSecret` never loads it). A token that does not verify is a 401
 * with a reason; what it admits is checked against what the client asks
 * for by `applyScope` (a 403 with a reason when it asks for more).
 * docs/protocol.md, "Sessions and users", says how to mint one.
 */
import { SESSION_ID_PATTERN } from "../protocol/index.js";
import { USER_ID_PATTERN } from "../../actors/contracts/user.js";
import type { Refusal } from "./handshake.js";

/** What a scoped token admits: one session, as one user. */
export interface TokenScope {
  session: string;
  user: string;
}

/** A JWS in compact form: three base64url parts joined by dots. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Whether `token` has the shape of a JWT (and so is checked as a scoped token, not compared with `token`). */
export function looksLikeJwt(token: string): boolean {
  return COMPACT_JWS.test(token);
}

let jose: Promise<typeof import("jose")> | undefined;

/**
 * The scope of a token signed with `secret`, or why it is refused (401):
 * not a JWT, a signature that does not verify, another algorithm than
 * HS256, expired or not yet valid, or claims that do not name a session
 * and a user.
 * @example
 * await verifyScopedToken(jwt, secret) // { session: "kitchen", user: "ana" }
 */
export async function verifyScopedToken(token: string, secret: Uint8Array, now?: Date): Promise<TokenScope | Refusal> {
  jose ??= import("jose");
  const { jwtVerify } = await jose;
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secret, { algorithms: ["HS256"], ...(now ? { currentDate: now } : {}) }));
  } catch (err) {
    return { status: 401, reason: tokenRefusal(err) };
  }
  const { session, user } = payload;
  if (typeof session !== "string" || !SESSION_ID_PATTERN.test(session) || typeof user !== "string" || !USER_ID_PATTERN.test(user)) {
    return { status: 401, reason: "Token claims must name a session and a user (`session` and `user`, each 1 to 64 of A-Z a-z 0-9 _ -)" };
  }
  return { session, user };
}

/** Why jose refused a token, for the 401's reason (never the token itself). */
function tokenRefusal(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "Token expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "Token signature does not verify (signed with another secret?)";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "Token must be signed with HS256";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return `Token is not valid now (claim ${String((err as { claim?: unknown }).claim)})`;
    default:
      return "Token is not a valid JWT";
  }
}

/**
 * The session and user a connection joins as, given what it asked for and
 * its token's scope (null: the server's own token, or none needed, which
 * admit everything). Absent ones are the scope's, else `default`.
 * A scope for another session or user is a 403 naming what it is for.
 */
export function applyScope(asked: { session: string | null; user: string | null }, scope: TokenScope | null, defaults: TokenScope): TokenScope | Refusal {
  if (!scope) return { session: asked.session ?? defaults.session, user: asked.user ?? defaults.user };
  if (asked.session !== null && asked.session !== scope.session) return { status: 403, reason: `This token is for session "${scope.session}", not "${asked.session}"` };
  if (asked.user !== null && asked.user !== scope.user) return { status: 403, reason: `This token is for user "${scope.user}", not "${asked.user}"` };
  return scope;
}
