/**
 * Who owns long-term memory: a user id. Every memory belongs to one user;
 * recall, store, list, search and forget act on that user's memories only.
 * The id travels with a turn (RecallInput, StoreInput, ToolsInput) and will
 * come from the connection (`?user=<id>`, issue 22); where none is given it
 * is `default`, the owner of every memory kept before users existed.
 */
import { z } from "zod";

/** The user of a turn, a tool call or a memory command that names none. */
export const DEFAULT_USER_ID = "default";

/** What a user id may be: 1 to 64 of A-Z a-z 0-9 _ - (the same rule as session ids). */
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A user id, validated. */
export const UserIdSchema = z.string().regex(USER_ID_PATTERN, "A user id is 1 to 64 letters, digits, '_' or '-'");

/**
 * `userId` if it is a valid user id, DEFAULT_USER_ID when it is undefined;
 * anything else throws a TypeError naming the rule (the caller's bug, or
 * input that should have been refused at the edge).
 * @example userIdOf(undefined) // "default"
 */
export function userIdOf(userId: string | undefined): string {
  if (userId === undefined) return DEFAULT_USER_ID;
  if (typeof userId !== "string" || !USER_ID_PATTERN.test(userId)) {
    throw new TypeError(`Invalid user id ${JSON.stringify(userId)}: a user id is 1 to 64 letters, digits, '_' or '-'`);
  }
  return userId;
}
