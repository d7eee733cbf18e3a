/**
 * The shape of `GET /dashboard/machine.json`: the voice machines' statechart
 * as plain data (built by graph.ts, drawn by public/statechart.js). Types
 * only, with no imports, so the page's JavaScript is checked against them
 * without pulling in the server.
 */

/** One state of the diagram. */
export interface DiagramNode {
  /** Full id, e.g. "voice.answering.generation.generating". */
  id: string;
  key: string;
  type: "atomic" | "compound" | "parallel" | "final" | "history";
  /** Id of the initial child (compound states). */
  initial: string | null;
  /** Actors invoked while in this state (their `src` names). */
  invoke: string[];
  /** Named delays that bound this state (`after`). */
  deadlines: string[];
  children: DiagramNode[];
}

/** One transition with a target (targetless ones only run actions). */
export interface DiagramEdge {
  source: string;
  target: string;
  /** The machine's event type, e.g. "user.listen" or "xstate.after.sttDeadline.voice.listening". */
  event: string;
  /** A short label: "user.listen", "after sttDeadline", "done (store)", "error (recall)", "done". */
  label: string;
  guard: string | null;
}

/** The whole diagram. */
export interface MachineDiagram {
  id: string;
  root: DiagramNode;
  edges: DiagramEdge[];
  /**
   * `state_change.path` value -> id of the state that announces it; each
   * coarse state (`state_change.state`, e.g. "thinking") -> the state that
   * first announces it (for a client that knows only the coarse state).
   */
  phases: Record<string, string>;
  /**
   * Which stage actor (an invoked `src`) works after a wire event, so the
   * dashboard can mark it: `type` -> src, or `type:source` for an event
   * whose `source` picks the actor (stt_start of a demo turn).
   */
  running: Record<string, string>;
  /**
   * Wire event type -> id of the state the machine has entered when that
   * event arrives although no state_change announces it (the coarse state
   * stays the same): `tts_result` (not interrupted) -> the turn's `playing`,
   * where the answer is synthesised and still being heard.
   */
  entered: Record<string, string>;
}
