/**
 * The command router: maps each validated command to its handler. Handlers
 * answer through `ctx.reply` and refuse by throwing ProtocolError.
 */
import { ProtocolError, type CommandOfType, type CommandType, type Command, type ServerEvent } from "../protocol/index.js";

/** What a handler knows about the command's sender and how it answers it. */
export interface CommandContext {
  clientId: string;
  /** The session (conversation) of the requesting client. */
  sessionId: string;
  /** The user the requesting client acts for: memory commands see only this user's memories. */
  userId: string;
  /** Send an event to the requesting client only (not logged). */
  reply(event: ServerEvent): void;
  /** Send an already-encoded event frame to the requesting client only (not logged). */
  replyFrame(frame: Buffer): void;
}

export type CommandHandler<T extends CommandType> = (command: CommandOfType<T>, ctx: CommandContext) => void | Promise<void>;

export class CommandRouter {
  #handlers = new Map<CommandType, CommandHandler<CommandType>>();

  /** Register (or replace) the handler of one command type. */
  handle<T extends CommandType>(type: T, handler: CommandHandler<T>): void {
    this.#handlers.set(type, handler as unknown as CommandHandler<CommandType>);
  }

  /**
   * Run the command's handler; returns its promise when it is async, so sync
   * handlers are answered before the next frame is read.
   * @throws ProtocolError when refused; `unavailable` when nothing handles it.
   */
  route(command: Command, ctx: CommandContext): void | Promise<void> {
    const handler = this.#handlers.get(command.type);
    if (!handler) throw new ProtocolError("unavailable", `The command ${command.type} is not available on this server`);
    return handler(command as CommandOfType<CommandType>, ctx);
  }
}
