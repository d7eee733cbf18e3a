/**
 * The bridge: one session's pipeline between the voice machines and the
 * wire, and the only module that knows both. It composes, per session:
 * - the session machine (machines/voice.ts) with the stage actors built
 *   from the engines, which are shared and passed in;
 * - the way out (egress.ts: latency figures, tts_progress, the playout,
 *   the wire form of every domain event from wire-events.ts) into the
 *   outbox (outbox.ts: in order, a microtask after the step);
 * - the way in: pipeline commands become machine events (commands.ts) and
 *   are refused with ProtocolError `busy` / `invalid_state` / `unavailable`
 *   when the machine cannot take them (`snapshot.can(event)`: the refusal
 *   rules are the machine's own), and the release of an utterance another
 *   command cut with `overtaken` (audio-in.ts keeps which client's it was);
 *   microphone frames go through audio-in.ts
 *   and, while an answer plays, the barge-in watch (barge-in-watch.ts);
 * - the playout clock (playout.ts), whose reports go to the session machine
 *   as session events (`playout.*`), which passes them to its turn.
 *
 * The bridge holds no state of the conversation: the audio owner, its echo
 * cancellation, the listening mode and the running turn are the machine's.
 * Nothing here is module state, so a server can make one bridge per
 * session over the same engines (`closeEngines: false`).
 */
import { createActor, waitFor, type ActorOptions, type SnapshotFrom, type Subscription } from "xstate";
import { createVoiceActors, type VoiceEngines } from "../../actors/index.js";
import { silentLogger, type Logger } from "../../actors/logger.js";
import type { BargeInSpeech } from "../../actors/stt/barge-in.js";
import { ClientAudioSource } from "../../actors/stt/sources.js";
import type { AudioSource } from "../../actors/stt/types.js";
import { energyVadProvider, isVadProvider, type VadOptions, type VadProvider } from "../../actors/stt/vad.js";
import { onVoiceEmitted } from "../../machines/emitted.js";
import { turnId as runningTurnId, voiceMachine, withStageActors } from "../../machines/voice.js";
import { DEFAULT_DEADLINES, type UserEvent, type VoiceEvent, type VoiceMachineInput } from "../../machines/voice-types.js";
import { ProtocolError, type EventData, type MachineState } from "../protocol/index.js";
import { AudioIn, type AudioSession } from "./audio-in.js";
import { BargeInWatch, type BargeInPolicy } from "./barge-in-watch.js";
import { mayCutTurn, overtakenRefusal, refusal, toMachineEvent } from "./commands.js";
import { Egress } from "./egress.js";
import { Outbox } from "./outbox.js";
import type { CommandSource, Pipeline, PipelineCommand } from "./pipeline.js";
import { Playout, type Clock } from "./playout.js";

export interface BridgeOptions {
  /** The engines behind the stages. The bridge closes them on `stop()` unless `closeEngines` is false. */
  engines: VoiceEngines;
  /** Machine settings: deadlines, system prompt, demo text, pipelining, history size, ... */
  machine?: Omit<VoiceMachineInput, "engines">;
  /** Audio of voice turns. Default: a client stream fed by `pushAudio` from the client that sent stt_start. */
  audio?: AudioSource;
  /** Delay before each partial of demo_flow's scripted recogniser (ms). Default 40. */
  demoPartialDelayMs?: number;
  /**
   * End-of-speech detection on voice turns' audio: an utterance ends after
   * `hangoverMs` of non-speech following speech, without stt_stop (both
   * modes). A provider from `loadVad` (actors/stt/vad-select.ts: Silero, as
   * the server uses by default, or energy); plain thresholds mean the energy
   * detector (defaults VAD_DEFAULTS); false turns it off (then only stt_stop
   * or the end of the source ends an utterance). Default: energy.
   */
  vad?: VadOptions | VadProvider | false;
  /** Recent turns covered by `metrics()`. Default 100. */
  metricsWindow?: number;
  /** Extra options for the machine's actor (e.g. `inspect` from server/app/inspect.ts). */
  actorOptions?: Pick<ActorOptions<typeof voiceMachine>, "inspect" | "id" | "systemId">;
  /** Close the engines in `stop()`. Default true; false when the engines are shared with other bridges. */
  closeEngines?: boolean;
  logger?: Logger;
  /** Monotonic clock for latency figures and the end grace (ms). Default `performance.now`. */
  now?: () => number;
  /** Most unplayed audio sent ahead to each audio consumer (ms). Default 1000. */
  audioLeadMs?: number;
  /**
   * The synthesis bound: audio synthesised but not yet sent to every audio consumer (ms) at
   * which the turn starts no new sentence until playout catches up. Default 30000.
   */
  synthesisAheadMs?: number;
  /** Clock of the playout and pacing (server/pipeline/playout.ts). Default: performance.now and the global timers. */
  playoutClock?: Clock;
  /** tts_progress granularity: 0 one event per sentence (default), N one per N ms of audio. */
  ttsProgressMs?: number;
  /**
   * Barge-in by voice in continuous sessions streamed by a client: auto
   * (default) when the client's stt_start says its audio is echo-cancelled,
   * on for every client stream, off never. Needs a VAD (`vad` not false).
   */
  bargeIn?: BargeInPolicy;
  /** Speech that must be heard before it interrupts an answer (ms). Default 300. */
  bargeInMinMs?: number;
}

/** The bridge's Pipeline, plus what tests and the CLI may want to look at. */
export interface Bridge extends Pipeline {
  /** The running machine actor (for inspection; send commands through `dispatch`). */
  readonly actor: ReturnType<typeof createActor<typeof voiceMachine>>;
  /** The playout clock of the answers (what each audio consumer has heard). */
  readonly playout: Playout;
  pushAudio(source: CommandSource, chunk: Uint8Array): void;
  openAudioOutput: NonNullable<Pipeline["openAudioOutput"]>;
}

type SessionSnapshot = SnapshotFrom<typeof voiceMachine>;

/** What the audio intake and the barge-in watch read of the session machine. */
function audioSession(s: SessionSnapshot): AudioSession {
  const c = s.context;
  return {
    turnId: runningTurnId(c),
    answering: s.matches({ turn: "answering" }),
    phase: c.phase,
    listenMode: c.listenMode,
    audioOwner: c.audioOwner,
    echoCancellation: c.echoCancellation,
    stopAfterTurn: c.stopAfterTurn,
  };
}

/**
 * Start the voice machine of one session and return the Pipeline the WebSocket server uses.
 * @example
 * const pipeline = createBridge({ engines: { stt, llm, tts, memory, tools }, machine: { deadlines: { llmMs: 20_000 } } });
 * pipeline.subscribe((e) => log.append(e));
 * pipeline.dispatch({ type: "demo_flow", data: {} }, { clientId: "c1" });
 */
export function createBridge(options: BridgeOptions): Bridge {
  const { engines } = options;
  const logger = options.logger ?? silentLogger;
  const audio = options.audio ?? new ClientAudioSource();
  const now = options.now ?? (() => performance.now());
  let stopped = false;

  // One detector kind for the recogniser and the barge-in watch.
  const vad: VadProvider | null = options.vad === false ? null : isVadProvider(options.vad) ? options.vad : energyVadProvider(options.vad ?? {});
  const watch = new BargeInWatch({
    vad,
    format: audio.format,
    ...(options.bargeIn !== undefined ? { policy: options.bargeIn } : {}),
    ...(options.bargeInMinMs !== undefined ? { minSpeechMs: options.bargeInMinMs } : {}),
    logger,
    onSpeech: watchOnSpeech,
  });
  const clientAudio = audio instanceof ClientAudioSource ? audio : null;
  const audioIn = new AudioIn({ source: clientAudio, watch, now, overtakenQuietMs: options.machine?.deadlines?.sttMs ?? DEFAULT_DEADLINES.sttMs });

  const outbox = new Outbox(logger);
  const playout = new Playout({
    ...(options.audioLeadMs !== undefined ? { leadMs: options.audioLeadMs } : {}),
    ...(options.synthesisAheadMs !== undefined ? { synthesisAheadMs: options.synthesisAheadMs } : {}),
    ...(options.playoutClock ? { clock: options.playoutClock } : {}),
    logger,
    // The answer has been heard: the turn stops speaking (and a continuous session listens again).
    // Every listener left or stopped early: the turn keeps (and remembers) only what was heard.
    onEnded: (turnId, heard) => {
      if (heard.cut) sessionSend({ type: "playout.heard", turnId, text: heard.text, heardMs: heard.heardMs });
      sessionSend({ type: "playout.ended", turnId, heardMs: heard.heardMs });
    },
    // Backpressure on synthesis: the turn holds its next sentence while the listeners are far enough behind.
    onFull: (turnId, aheadMs) => sessionSend({ type: "playout.full", turnId, aheadMs }),
    onRoom: (turnId) => sessionSend({ type: "playout.room", turnId }),
  });
  const egress = new Egress({ outbox, playout, now, metricsWindow: options.metricsWindow, ttsProgressMs: options.ttsProgressMs });

  const input: VoiceMachineInput = {
    ...options.machine,
    engines: {
      stt: { name: engines.stt.name, source: audio.kind },
      demoStt: { name: "scripted", source: "scripted" },
      llm: { name: engines.llm.name, model: engines.llm.model },
      tts: { name: engines.tts.name, voice: engines.tts.voice, format: { ...engines.tts.format } },
    },
  };
  const machine = withStageActors(
    createVoiceActors(engines, {
      audio,
      demoPartialDelayMs: options.demoPartialDelayMs ?? 40,
      vad: vad ?? false,
      onVadEvent: (e) => logger.info(e.type === "speech_start" ? "speech started" : "speech ended", { ...e }),
      // Push-to-talk lasts while the button is held, pauses and all: it ends at stt_stop, never at the VAD.
      endsAtSpeechEnd: () => actor.getSnapshot().context.listenMode !== "push_to_talk",
    }),
  );
  const actor = createActor(machine, { ...options.actorOptions, input });
  onVoiceEmitted(actor, (e) => {
    // A client's utterance cut by another command: its release gets `overtaken`, not a bare refusal.
    if (e.type === "turn.interrupted") audioIn.cut(e);
    egress.emitted(e);
  });
  const subscription: Subscription = actor.subscribe({
    next(snapshot) {
      audioIn.follow(snapshot.context);
      // A watch whose turn no longer answers (cut, heard, the session asked to stop) ends with it.
      if (watch.watching && !watch.applies(audioSession(snapshot))) watch.stop();
    },
    error(err) {
      logger.error("voice machine failed", { error: err instanceof Error ? err.message : String(err) });
    },
  });
  actor.start();

  /** Whether the session machine takes events (it runs, and the bridge has not been stopped). */
  function running(): boolean {
    return !stopped && actor.getSnapshot().status === "active";
  }

  /** Send the session machine an event from outside (the playout's reports, a client leaving). */
  function sessionSend(event: VoiceEvent): void {
    if (actor.getSnapshot().status === "active") actor.send(event);
  }

  /**
   * Before an interruption: tell the session how far its running turn's
   * answer was heard (the playout clock knows; the machine does not), so the
   * turn's history, and its memory, keep exactly that.
   */
  function noteHeard(): void {
    const turnId = runningTurnId(actor.getSnapshot().context);
    const heard = playout.heard(turnId);
    if (heard) actor.send({ type: "playout.heard", turnId, text: heard.text, heardMs: heard.heardMs });
  }

  /** Hand the session a user's event; one that may cut the running turn first says what was heard of it. */
  function sendUserEvent(event: UserEvent): void {
    if (mayCutTurn(event)) noteHeard();
    actor.send(event);
  }

  /** The owner spoke long enough over the answer: a barge-in, as stt_start would make it, with the speech as the new utterance's start. */
  function watchOnSpeech(turnId: string, clientId: string, speech: BargeInSpeech): void {
    if (!running()) return;
    // The turn may have ended (or been cut) while an asynchronous detector was deciding.
    const session = audioSession(actor.getSnapshot());
    if (session.audioOwner !== clientId || session.turnId !== turnId || !watch.applies(session)) return;
    logger.info("barge-in by voice", { turnId, clientId, speechMs: speech.speechMs, prerollMs: Math.round(speech.atMs - speech.startMs) });
    clientAudio?.preroll(speech.preroll);
    // The owner's own user: the one whose stt_start opened this voice session.
    const userId = actor.getSnapshot().context.request.userId;
    sendUserEvent({ type: "user.listen", mode: "continuous", client: clientId, echoCancellation: session.echoCancellation, userId });
  }

  const bridge: Bridge = {
    actor,
    playout,

    dispatch(command: PipelineCommand, source: CommandSource): void {
      if (!running()) throw new ProtocolError("unavailable", "The voice pipeline has stopped");
      const snapshot = actor.getSnapshot();
      const event = toMachineEvent(command, source);
      const overtaken = audioIn.overtaken(source.clientId);
      // Any command of its own moves the client on from an utterance another command cut.
      if (overtaken) audioIn.settle(source.clientId);
      const can = snapshot.can(event);
      // The release of an utterance another command cut: say so, and never end someone else's utterance with it.
      if (overtaken && command.type === "stt_stop" && (!can || snapshot.context.audioOwner !== source.clientId)) throw overtakenRefusal(source.clientId, overtaken);
      if (!can) {
        // The utterance this client was ending has just ended (the VAD, or the recogniser, was first): nothing left to stop.
        if (command.type === "stt_stop" && audioIn.withinGrace(source.clientId)) return;
        throw refusal(command, snapshot.context.phase);
      }
      sendUserEvent(event);
    },

    clientGone(clientId: string): void {
      audioIn.settle(clientId);
      if (running()) actor.send({ type: "user.left", client: clientId });
    },

    subscribe(listener) {
      return outbox.subscribe(listener);
    },

    openAudioOutput(id, sink, outputOptions) {
      return playout.addConsumer(id, sink, outputOptions);
    },

    pushAudio(source: CommandSource, chunk: Uint8Array): void {
      const snapshot = actor.getSnapshot();
      if (snapshot.status !== "active") {
        if (audioIn.withinGrace(source.clientId)) return;
        throw new ProtocolError("unexpected_binary", "No audio stream is open for this connection; send stt_start first");
      }
      audioIn.push(audioSession(snapshot), source.clientId, chunk);
    },

    state(): MachineState {
      if (stopped) return "stopped";
      return actor.getSnapshot().context.phase;
    },

    engines(): Record<string, string> {
      return { stt: engines.stt.name, llm: engines.llm.name, tts: engines.tts.name, memory: engines.memory.name };
    },

    voice(): string {
      return engines.tts.voice;
    },

    metrics(): EventData<"performance_metrics"> {
      return egress.metrics();
    },

    async stop(): Promise<void> {
      if (stopped) return;
      if (actor.getSnapshot().status === "active") {
        // A turn cut by the shutdown is remembered as heard, like one cut by a stop.
        noteHeard();
        actor.send({ type: "system.shutdown" });
      }
      stopped = true;
      watch.stop();
      // The machine waits in `stopping` while a cut turn's memory is stored, never past its memory deadline.
      if (actor.getSnapshot().status === "active") await waitFor(actor, (s) => s.status !== "active").catch(() => undefined);
      actor.stop();
      subscription.unsubscribe();
      // Deliver what the shutdown produced (turn_interrupted, state_change) before returning.
      await Promise.resolve();
      outbox.flush();
      playout.close();
      if (options.closeEngines !== false) {
        const results = await Promise.allSettled([engines.stt.close(), engines.llm.close(), engines.tts.close(), engines.memory.close()]);
        for (const r of results) if (r.status === "rejected") logger.warn("engine close failed", { error: String(r.reason) });
      }
    },
  };
  return bridge;
}
