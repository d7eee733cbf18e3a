/**
 * The WebSocket subprotocol names of the wire contract, shared by the
 * server's handshake and the client (which runs in browsers too, so this
 * module imports nothing).
 */

/** Subprotocol the server selects when a client offers it. */
export const CODA_PROTOCOL = "coda.v1";
/** Subprotocol that carries the token for browsers, which cannot set headers: `coda-token.<token>`. */
export const TOKEN_PROTOCOL_PREFIX = "coda-token.";
