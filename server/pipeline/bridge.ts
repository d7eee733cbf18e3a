/**
 * The bridge between the voice machine and the wire: the only module that
 * knows both. It runs the machine with the stage actors built from engine
 * instances, maps every emitted domain event to a protocol event (adding the
 * latency figures), and turns pipeline commands into machine events,
 * refusing with ProtocolError `busy` / `invalid_state` / `unavailable` what
 * the machine cannot take in its current state (it asks the machine with
 * `snapshot.can(event)`, so the refusal rules are the machine's own).
 *
 * Events go to subscribers asynchronously (a microtask after the machine
 * step that produced them) and in order, so `dispatch` returns before the
 * events it caused are delivered and a command's ack can come first.
 *
 * Barge-in by voice: while a continuous session's turn answers (thinking,
 * speaking, playing out), the audio owner's frames go to a barge-in monitor
 * (actors/stt/barge-in.ts) instead of being dropped, when barge-in applies
 * to the session (`bargeIn`: auto = the client said its audio is
 * echo-cancelled). When the user has spoken `bargeInMinMs`, the bridge does
 * what a typed barge-in (stt_start) does, and the new utterance starts with
 * the speech that triggered it.
 */
import { createActor, waitFor, type ActorOptions, type Subscription } from "xstate";
import { createVoiceActors, type VoiceEngines } from "../../actors/index.js";
import { silentLogger, type Logger } from "../../actors/logger.js";
import { BargeInMonitor, DEFAULT_BARGE_IN_MIN_MS, type BargeInSpeech } from "../../actors/stt/barge-in.js";
import { ClientAudioSource } from "../../actors/stt/sources.js";
import { toSpeakable } from "../../actors/tts/speakable.js";
import type { AudioSource } from "../../actors/stt/types.js";
import { energyVadProvider, isVadProvider, type VadOptions, type VadProvider } from "../../actors/stt/vad.js";
import { onVoiceEmitted } from "../../machines/emitted.js";
import { turnId as runningTurnId, voiceMachine, withStageActors } from "../../machines/voice.js";
import type { ListenMode, Phase, UserEvent, VoiceEmitted, VoiceMachineInput } from "../../machines/voice-types.js";
import { LatencyTracker } from "./latency.js";
import { LatencyWindow } from "./metrics.js";
import type { CommandSource, Pipeline, PipelineCommand } from "./pipeline.js";
import { Playout, type Clock, type Heard } from "./playout.js";
import { TtsProgressFolder } from "./tts-progress.js";
import { ProtocolError, type EventData, type EventInput, type MachineState } from "../protocol/index.js";

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
  /** Close the engines in `stop()`. Default true. */
  closeEngines?: boolean;
  logger?: Logger;
  /** Monotonic clock for latency figures (ms). Default `performance.now`. */
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

/** When speaking interrupts an answer: see BridgeOptions.bargeIn. */
export type BargeInPolicy = "auto" | "on" | "off";

/** The bridge's Pipeline, plus what tests and the CLI may want to look at. */
export interface Bridge extends Pipeline {
  /** The running machine actor (for inspection; send commands through `dispatch`). */
  readonly actor: ReturnType<typeof createActor<typeof voiceMachine>>;
  /** The playout clock of the answers (what each audio consumer has heard). */
  readonly playout: Playout;
  pushAudio(source: CommandSource, chunk: Uint8Array): void;
  openAudioOutput: NonNullable<Pipeline["openAudioOutput"]>;
}

/** What leaves a machine step, in order: events (some built at delivery, e.g. with what was heard) and playout updates. */
type Outgoing = { kind: "event"; event: EventInput | (() => EventInput) } | { kind: "run"; run: () => void };

/**
 * Start the voice machine and return the Pipeline the WebSocket server uses.
 * @example
 * const pipeline = createBridge({ engines: { stt, llm, tts, memory, tools }, machine: { deadlines: { llmMs: 20_000 } } });
 * pipeline.subscribe((e) => log.append(e));
 * pipeline.dispatch({ type: "demo_flow", data: {} }, { clientId: "c1" });
 */
export function createBridge(options: BridgeOptions): Bridge {
  const { engines } = options;
  const logger = options.logger ?? silentLogger;
  const audio = options.audio ?? new ClientAudioSource();
  const clientAudio = audio instanceof ClientAudioSource ? audio : null;
  const now = options.now ?? (() => performance.now());
  const tracker = new LatencyTracker(now);
  /** The listening mode of the voice session, the client that started it (its audio owner) and whether its audio is echo-cancelled. */
  let session: { mode: ListenMode; client: string; echoCancellation: boolean } | null = null;
  /** The last utterance that ended (the machine left listening): its client and when, for the grace below. */
  let lastUtterance: { client: string; at: number } | null = null;
  const window = new LatencyWindow(options.metricsWindow);
  const listeners = new Set<(event: EventInput) => void>();
  const playout = new Playout({
    ...(options.audioLeadMs !== undefined ? { leadMs: options.audioLeadMs } : {}),
    ...(options.synthesisAheadMs !== undefined ? { synthesisAheadMs: options.synthesisAheadMs } : {}),
    ...(options.playoutClock ? { clock: options.playoutClock } : {}),
    logger,
    // The answer has been heard: the turn stops speaking (and a continuous session listens again).
    // Every listener left or stopped early: the turn keeps (and remembers) only what was heard.
    onEnded: (turnId, heard) => {
      const turn = runningTurn();
      if (heard.cut) turn?.send({ type: "playout.heard", turnId, text: heard.text, heardMs: heard.heardMs });
      turn?.send({ type: "playout.ended", turnId, heardMs: heard.heardMs });
    },
    // Backpressure on synthesis: the turn holds its next sentence while the listeners are far enough behind.
    onFull: (turnId, aheadMs) => runningTurn()?.send({ type: "playout.full", turnId, aheadMs }),
    onRoom: (turnId) => runningTurn()?.send({ type: "playout.room", turnId }),
  });
  const progress = new TtsProgressFolder(options.ttsProgressMs ?? 0);
  /** What was heard of turns cut in the current step, for their turn_interrupted. */
  const cutHeard = new Map<string, Heard>();
  const outbox: Outgoing[] = [];
  let flushScheduled = false;
  let stopped = false;

  // One detector kind for the recogniser and the barge-in monitor.
  const vad: VadProvider | null = options.vad === false ? null : isVadProvider(options.vad) ? options.vad : energyVadProvider(options.vad ?? {});
  const bargeIn = options.bargeIn ?? "auto";
  const bargeInMinMs = options.bargeInMinMs ?? DEFAULT_BARGE_IN_MIN_MS;
  if (!["auto", "on", "off"].includes(bargeIn)) throw new TypeError('bridge bargeIn must be "auto", "on" or "off"');
  if (!(Number.isFinite(bargeInMinMs) && bargeInMinMs > 0)) throw new TypeError("bridge bargeInMinMs must be a positive number");
  /** The barge-in monitor of the answering turn, if its audio owner's frames are being watched. */
  let watch: { turnId: string; monitor: BargeInMonitor } | null = null;

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
      endsAtSpeechEnd: () => session?.mode !== "push_to_talk",
    }),
  );
  const actor = createActor(machine, { ...options.actorOptions, input });
  /** The running turn's actor, if any. */
  const runningTurn = () => (actor.getSnapshot().status === "active" ? actor.getSnapshot().children.turn : undefined);
  /** Before an interruption: tell the turn how far its answer was heard, so its history keeps exactly that. */
  function noteHeard(): void {
    const turn = runningTurn();
    const turnId = turn?.getSnapshot().context.id;
    const heard = turnId === undefined ? null : playout.heard(turnId);
    if (turn && turnId !== undefined && heard) turn.send({ type: "playout.heard", turnId, text: heard.text, heardMs: heard.heardMs });
  }

  function flush(): void {
    flushScheduled = false;
    const batch = outbox.splice(0);
    for (const item of batch) {
      if (item.kind === "run") {
        try {
          item.run();
        } catch (err) {
          logger.error("pipeline playout update failed", { error: String(err) });
        }
        continue;
      }
      const event = typeof item.event === "function" ? item.event() : item.event;
      for (const l of listeners) {
        try {
          l(event);
        } catch (err) {
          logger.error("pipeline event listener failed", { type: event.type, error: String(err) });
        }
      }
    }
  }

  function publish(item: Outgoing): void {
    outbox.push(item);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  }

  const send = (event: EventInput | (() => EventInput)) => publish({ kind: "event", event });
  const run = (fn: () => void) => publish({ kind: "run", run: fn });
  const sendProgress = (events: EventData<"tts_progress">[]) => {
    for (const data of events) send({ type: "tts_progress", data });
  };

  /** Map one domain event to its wire event(s). */
  function machineOnEmit(e: VoiceEmitted): void {
    const ms = tracker.record(e) ?? 0;
    switch (e.type) {
      case "state.changed":
        if (e.previous === "listening" && e.state !== "listening" && session) lastUtterance = { client: session.client, at: now() };
        if (e.state === "idle" || e.state === "stopped") {
          if (clientAudio) clientAudio.owner = null;
          session = null;
          unwatch();
        }
        return send({ type: "state_change", data: { state: e.state, previous: e.previous, path: e.path, turn_id: e.turnId, mode: e.mode } });
      case "stt.started":
        return send({ type: "stt_start", data: { turn_id: e.turnId, mode: e.mode, engine: e.engine, source: e.source } });
      case "stt.progress":
        return send({ type: "stt_progress", data: { turn_id: e.turnId, text: e.text, index: e.index } });
      case "stt.result":
        return send({ type: "stt_result", data: { turn_id: e.turnId, text: e.text, confidence: e.confidence, duration_ms: ms } });
      case "stt.failed":
        return send({ type: "stt_error", data: { turn_id: e.turnId, code: e.code, message: e.message } });
      case "memory.recalled":
        return send({ type: "memory_recall", data: { turn_id: e.turnId, query: e.query, hits: e.hits, duration_ms: ms } });
      case "memory.failed":
        return send({ type: "memory_error", data: { turn_id: e.turnId, operation: e.operation, code: e.code, message: e.message } });
      case "memory.stored":
        return send({ type: "memory_store", data: { turn_id: e.turnId, id: e.id, kind: e.kind, preview: e.preview, interrupted: e.interrupted } });
      case "llm.started":
        return send({ type: "llm_start", data: { turn_id: e.turnId, engine: e.engine, model: e.model, round: e.round } });
      case "llm.progress":
        return send({ type: "llm_progress", data: { turn_id: e.turnId, delta: e.delta, index: e.index } });
      case "llm.result":
        // A cut answer's closing events stay together: pending speech progress goes out first.
        if (e.finishReason === "interrupted") sendProgress(progress.flush(e.turnId));
        return send({
          type: "llm_result",
          data: { turn_id: e.turnId, text: e.text, finish_reason: e.finishReason, rounds: e.rounds, duration_ms: ms },
        });
      case "llm.failed":
        sendProgress(progress.flush(e.turnId));
        return send({ type: "llm_error", data: { turn_id: e.turnId, code: e.code, message: e.message, partial_text: e.partialText } });
      case "tool.called":
        return send({ type: "tool_call", data: { turn_id: e.turnId, call_id: e.callId, name: e.name, arguments: e.arguments } });
      case "tool.result":
        return send({
          type: "tool_result",
          data: { turn_id: e.turnId, call_id: e.callId, name: e.name, preview: e.preview, duration_ms: round3(e.durationMs) },
        });
      case "tool.failed":
        return send({
          type: "tool_error",
          data: {
            turn_id: e.turnId,
            call_id: e.callId,
            name: e.name,
            code: e.code,
            message: e.message,
            ...(e.issues ? { issues: e.issues } : {}),
            duration_ms: round3(e.durationMs ?? ms),
          },
        });
      case "tts.started":
        return send({ type: "tts_start", data: { turn_id: e.turnId, engine: e.engine, voice: e.voice, format: e.format } });
      case "tts.audio": {
        sendProgress(
          progress.add({ turnId: e.turnId, sentenceIndex: e.sentenceIndex, chunkIndex: e.chunkIndex, text: e.text, spoken: toSpeakable(e.text), audioMs: e.audioMs, bytes: e.bytes }),
        );
        const chunk = { turnId: e.turnId, chunkIndex: e.chunkIndex, sentenceIndex: e.sentenceIndex, text: e.text, audioMs: e.audioMs, pcm: e.pcm };
        return run(() => playout.audio(chunk));
      }
      case "tts.result":
        sendProgress(progress.flush(e.turnId));
        if (!e.interrupted) run(() => playout.synthesisEnded(e.turnId));
        return send({
          type: "tts_result",
          data: {
            turn_id: e.turnId,
            sentences: e.sentences,
            chunks: e.chunks,
            chars: e.chars,
            audio_ms: round3(e.audioMs),
            duration_ms: ms,
            interrupted: e.interrupted,
          },
        });
      case "tts.failed":
        sendProgress(progress.flush(e.turnId));
        return send({ type: "tts_error", data: { turn_id: e.turnId, code: e.code, message: e.message } });
      case "turn.ended": {
        sendProgress(progress.flush(e.turnId));
        if (e.outcome !== "completed") {
          const id = e.turnId;
          // Cut at delivery, after the audio of earlier steps reached the playout.
          run(() => {
            const heard = playout.cut(id);
            if (heard) cutHeard.set(id, heard);
          });
        }
        const trace = tracker.finish(e.turnId, e.outcome === "interrupted");
        if (!trace) return;
        window.add(trace);
        return send({ type: "latency_trace", data: trace });
      }
      case "turn.interrupted":
        return send(() => {
          const heard = cutHeard.get(e.turnId);
          cutHeard.delete(e.turnId);
          return {
            type: "turn_interrupted",
            data: { turn_id: e.turnId, reason: e.reason, state: e.state, by: e.by, heard_ms: heard?.heardMs ?? 0, heard_text: heard?.text ?? "" },
          };
        });
      // Timing marks only (turn.started, memory.recall_started, llm.round_ended, tools.finished).
      default:
        return;
    }
  }

  onVoiceEmitted(actor, machineOnEmit);
  const errorSub: Subscription = actor.subscribe({
    error(err) {
      logger.error("voice machine failed", { error: err instanceof Error ? err.message : String(err) });
    },
  });
  actor.start();

  /** Whether the session's frames are watched for barge-in now: its turn answers, and barge-in applies to it. */
  function bargeInApplies(snapshot: ReturnType<typeof actor.getSnapshot>): boolean {
    if (!session || session.mode !== "continuous" || vad === null || bargeIn === "off") return false;
    if (bargeIn === "auto" && !session.echoCancellation) return false;
    return snapshot.matches({ turn: "answering" }) && !snapshot.context.stopAfterTurn;
  }

  function unwatch(): void {
    watch?.monitor.close();
    watch = null;
  }

  /** One of the owner's frames while its turn answers: to the monitor of that turn (made on the first frame). */
  function watchFrame(snapshot: ReturnType<typeof actor.getSnapshot>, clientId: string, chunk: Uint8Array): void {
    const turnId = runningTurnId(snapshot.context);
    if (watch?.turnId !== turnId) {
      unwatch();
      const monitor = new BargeInMonitor({
        vad: vad!,
        format: audio.format,
        minSpeechMs: bargeInMinMs,
        onSpeech: (speech) => monitorOnSpeech(turnId, clientId, speech),
        onError: (err) => logger.warn("barge-in monitor failed", { turnId, error: err instanceof Error ? err.message : String(err) }),
      });
      watch = { turnId, monitor };
    }
    watch.monitor.push(chunk);
  }

  /** The user spoke long enough over the answer: a barge-in, as stt_start would make it, with the speech as the new utterance's start. */
  function monitorOnSpeech(turnId: string, clientId: string, speech: BargeInSpeech): void {
    if (watch?.turnId === turnId) watch = null;
    const snapshot = actor.getSnapshot();
    // The turn may have ended (or been cut) while an asynchronous detector was deciding.
    if (stopped || snapshot.status !== "active" || session?.client !== clientId || !bargeInApplies(snapshot)) return;
    if (runningTurnId(snapshot.context) !== turnId) return;
    logger.info("barge-in by voice", { turnId, clientId, speechMs: speech.speechMs, prerollMs: Math.round(speech.atMs - speech.startMs) });
    clientAudio!.preroll(speech.preroll);
    bridge.dispatch({ type: "stt_start", data: { mode: "continuous", echo_cancellation: session.echoCancellation } }, { clientId });
  }

  /** Within END_GRACE_MS after `source`'s utterance ended. */
  function withinGrace(source: CommandSource): boolean {
    return lastUtterance !== null && lastUtterance.client === source.clientId && now() - lastUtterance.at <= END_GRACE_MS;
  }

  function refuse(command: PipelineCommand, phase: Phase): ProtocolError {
    switch (command.type) {
      case "demo_flow":
        return new ProtocolError("busy", `A turn is running (state: ${phase}); wait until the assistant is idle or send stop_speaking`);
      case "stt_start":
        return new ProtocolError("invalid_state", "Already listening; send stt_stop to end the utterance");
      case "stt_stop":
        return new ProtocolError("invalid_state", phase === "idle" ? "Not listening" : `Not listening (state: ${phase}); stop_speaking stops the answer`);
      case "stop_speaking":
        return new ProtocolError("invalid_state", `Nothing to stop (state: ${phase})`);
      default:
        return new ProtocolError("busy", `The assistant cannot take ${command.type} now (state: ${phase})`);
    }
  }

  const bridge: Bridge = {
    actor,

    dispatch(command: PipelineCommand, source: CommandSource): void {
      const snapshot = actor.getSnapshot();
      if (stopped || snapshot.status !== "active") throw new ProtocolError("unavailable", "The voice pipeline has stopped");
      const event = toMachineEvent(command);
      if (!snapshot.can(event)) {
        // The utterance this client was ending has just ended (the VAD, or the recogniser, was first): nothing left to stop.
        if (command.type === "stt_stop" && withinGrace(source)) return;
        throw refuse(command, snapshot.context.phase);
      }
      if (event.type === "user.listen") {
        const echoCancellation = command.type === "stt_start" && command.data?.echo_cancellation === true;
        session = { mode: event.mode, client: source.clientId, echoCancellation };
        if (clientAudio) clientAudio.owner = source.clientId;
        unwatch();
      }
      if (event.type === "user.stop_speaking" || event.type === "user.listen" || event.type === "user.text") noteHeard();
      actor.send(event);
    },

    clientGone(clientId: string): void {
      const snapshot = actor.getSnapshot();
      if (stopped || snapshot.status !== "active" || session?.client !== clientId) return;
      if (snapshot.context.phase === "listening") {
        // Nobody is left to finish the utterance: cancel it and the session (idle now, not at the STT deadline).
        // The turn fails its listening with this code and ends the session (as a broken recogniser does).
        snapshot.children.turn?.send({ type: "stt.error", code: "client_gone", message: "The client streaming the audio disconnected" });
      } else if (session.mode === "continuous") {
        // The answer plays out for whoever is watching; the session does not listen again.
        actor.send({ type: "user.stop_listening" });
      }
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    playout,

    openAudioOutput(id, sink, outputOptions) {
      return playout.addConsumer(id, sink, outputOptions);
    },

    pushAudio(source: CommandSource, chunk: Uint8Array): void {
      const snapshot = actor.getSnapshot();
      if (!clientAudio || clientAudio.owner !== source.clientId || snapshot.status !== "active" || snapshot.context.listenMode === null) {
        // Frames that were in flight when the utterance ended are dropped quietly.
        if (withinGrace(source)) return;
        throw new ProtocolError("unexpected_binary", "No audio stream is open for this connection; send stt_start first");
      }
      // While the answer plays, the owner's speech may interrupt it; otherwise frames go to the utterance (or are dropped when none is open).
      if (bargeInApplies(snapshot)) return watchFrame(snapshot, source.clientId, chunk);
      unwatch();
      clientAudio.push(chunk);
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
      return window.summary();
    },

    async stop(): Promise<void> {
      if (stopped) return;
      const snapshot = actor.getSnapshot();
      if (snapshot.status === "active") {
        // A turn cut by the shutdown is remembered as heard, like one cut by a stop.
        noteHeard();
        actor.send({ type: "system.shutdown" } satisfies UserEvent);
      }
      stopped = true;
      unwatch();
      // The machine waits in `stopping` while a cut turn's memory is stored, never past its memory deadline.
      if (actor.getSnapshot().status === "active") await waitFor(actor, (s) => s.status !== "active").catch(() => undefined);
      actor.stop();
      errorSub.unsubscribe();
      // Deliver what the shutdown produced (turn_interrupted, state_change) before returning.
      await Promise.resolve();
      flush();
      playout.close();
      if (options.closeEngines !== false) {
        const results = await Promise.allSettled([engines.stt.close(), engines.llm.close(), engines.tts.close(), engines.memory.close()]);
        for (const r of results) if (r.status === "rejected") logger.warn("engine close failed", { error: String(r.reason) });
      }
    },
  };
  return bridge;
}

/** How long after an utterance ended its late audio frames and stt_stop are taken quietly (ms). */
export const END_GRACE_MS = 1000;

const round3 = (ms: number) => Math.max(0, Math.round(ms * 1000) / 1000);

/** The machine event for a pipeline command. */
export function toMachineEvent(command: PipelineCommand): UserEvent {
  switch (command.type) {
    case "stt_start":
      // The wire schema defaults mode; a caller that skipped decoding gets the same default.
      return { type: "user.listen", mode: command.data?.mode ?? "push_to_talk" };
    case "stt_stop":
      return { type: "user.stop_listening" };
    case "demo_flow":
      return command.data?.text === undefined ? { type: "user.demo" } : { type: "user.demo", text: command.data.text };
    case "text_input":
      return { type: "user.text", text: command.data.text };
    case "stop_speaking":
      return { type: "user.stop_speaking" };
  }
}
