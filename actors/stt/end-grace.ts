/**
 * The grace at the end of an utterance: how long audio of an utterance that
 * has ended may still be on its way. One figure, used at both ends:
 * - the STT actor (actors/stt/actor.ts), after stt_stop, waits this long for
 *   a source to end its stream by itself before it ends it (every source in
 *   actors/stt/sources.ts ends at once; this is the safety net for one that
 *   does not);
 * - the server (server/pipeline/audio-in.ts) takes the audio owner's frames
 *   and its stt_stop quietly for this long after its utterance ended (the
 *   detector or the recogniser finished first), instead of refusing them.
 *
 * Why 1000 ms: the slow case is the network, not the machine. A browser
 * captures in 100-250 ms buffers and a phone on Wi-Fi or a mobile network
 * adds a few hundred ms of jitter, so a second covers the frames and the
 * stt_stop a real client has in flight when the detector ends the
 * utterance; it is short enough that a client still streaming a second
 * later is told (`unexpected_binary`). For a local source that ignores its
 * signal it only bounds how late the final transcript can be.
 */

/** How long audio of an ended utterance may still arrive (ms). */
export const END_GRACE_MS = 1000;
