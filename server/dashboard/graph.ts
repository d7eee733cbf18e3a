/**
 * The voice machines' statechart as plain JSON for the dashboard to draw:
 * the session machine with the turn machine drawn inside the session state
 * that invokes it, the state tree (with each state's invoked actor), the
 * transitions (event, guard, source, target) and where each coarse phase
 * shown on the wire (`state_change.path`) lives in the tree. Everything is
 * read from `voiceMachine.root` and `turnMachine.root`, so the diagram
 * follows the machines when they change.
 */
import type { AnyStateNode } from "xstate";
import { turnMachine, type TurnActorSlots } from "../../machines/turn.js";
import type { EventType } from "../protocol/index.js";
import { voiceMachine } from "../../machines/voice.js";
import type { DiagramEdge, DiagramNode, MachineDiagram } from "./diagram.js";

export type { DiagramEdge, DiagramNode, MachineDiagram } from "./diagram.js";

/**
 * The stage each wire event says is working, named by the turn machine's
 * actor slots (a renamed slot fails to compile here).
 */
const RUNNING = {
  stt_start: "stt",
  "stt_start:scripted": "demoStt",
  memory_recall: "llm",
  llm_start: "llm",
  tool_call: "tools",
  tool_result: "llm",
  tool_error: "llm",
  tts_progress: "tts",
} satisfies Partial<Record<EventType | `${EventType}:${string}`, keyof TurnActorSlots>>;

/**
 * States a wire event says the turn has entered without a state_change:
 * event type -> the turn machine's state key. Checked against the machine
 * when the diagram is built (a renamed state fails the dashboard's tests).
 */
const ENTERED = {
  // The whole answer is synthesised (speech done, so generation done too): the turn plays it out.
  tts_result: "playing",
} satisfies Partial<Record<EventType, string>>;

interface ActionLike {
  type?: unknown;
  params?: unknown;
}
interface TransitionLike {
  eventType: string;
  target?: readonly { id: string }[];
  guard?: unknown;
  actions?: readonly unknown[];
}

function guardName(guard: unknown): string | null {
  if (!guard) return null;
  if (typeof guard === "string") return guard;
  const type = (guard as { type?: unknown }).type;
  return typeof type === "string" ? type : "guard";
}

/** Human label of an event type, with xstate's internal event names shortened. */
export function edgeLabel(eventType: string, sourceInvoke: string[]): string {
  if (eventType === "") return "always";
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  if (eventType.startsWith("xstate.done.state.")) return "done";
  const actor = /^xstate\.(done|error)\.actor\./.exec(eventType);
  if (actor) return sourceInvoke.length ? `${actor[1]} (${sourceInvoke.join(", ")})` : actor[1]!;
  return eventType;
}

/** The `announce` params ({state, path}) among a list of actions. */
function announcedPath(actions: readonly unknown[] | undefined): string | null {
  for (const a of actions ?? []) {
    const action = a as ActionLike;
    if (action && action.type === "announce") {
      const path = (action.params as { path?: unknown } | undefined)?.path;
      if (typeof path === "string") return path;
    }
  }
  return null;
}

/** Build the diagram of one machine's root state node. */
export function buildMachineDiagram(root: AnyStateNode): MachineDiagram {
  const edges: DiagramEdge[] = [];
  const phases: Record<string, string> = {};

  const visit = (node: AnyStateNode): DiagramNode => {
    const def = node.definition as unknown as {
      invoke: readonly { src: unknown }[];
      entry: readonly unknown[];
      transitions: readonly TransitionLike[];
      initial?: { target?: readonly { id: string }[] };
    };
    const invoke = def.invoke.map((i) => (typeof i.src === "string" ? i.src : "actor"));
    const deadlines = new Set<string>();
    const entryPath = announcedPath(def.entry);
    if (entryPath) phases[entryPath] = node.id;
    // Eventless transitions (`always`) are not in the definition's list.
    const always: TransitionLike[] = (node.always ?? []).map((t) => ({ eventType: "", target: t.target ?? [], guard: t.guard, actions: t.actions }));
    for (const t of [...def.transitions, ...always]) {
      const after = /^xstate\.after\.([^.]+)\./.exec(t.eventType);
      if (after) deadlines.add(after[1]!);
      for (const target of t.target ?? []) {
        edges.push({ source: node.id, target: target.id, event: t.eventType, label: edgeLabel(t.eventType, invoke), guard: guardName(t.guard) });
        const path = announcedPath(t.actions);
        if (path && !(path in phases)) phases[path] = target.id;
      }
    }
    return {
      id: node.id,
      key: node.key,
      type: node.type,
      initial: def.initial?.target?.[0]?.id ?? null,
      invoke,
      deadlines: [...deadlines],
      children: Object.values(node.states).map((child) => visit(child as AnyStateNode)),
    };
  };

  const tree = visit(root);
  // A coarse state maps to the first path that announces it ("thinking" -> "thinking.recalling").
  for (const [path, id] of Object.entries({ ...phases })) {
    const coarse = path.split(".")[0]!;
    if (!(coarse in phases)) phases[coarse] = id;
  }
  return { id: root.id, root: tree, edges, phases, running: { ...RUNNING }, entered: {} };
}

/**
 * The session's diagram with the turn machine's states drawn inside the
 * session state that invokes it (ids prefixed with that state's id, e.g.
 * "voice.turn.answering"). The session's own substates of that state mirror
 * the turn's stages under the same names, so its edges (barge-in, stop)
 * start from the turn's drawn states; a mirror substate the turn does not
 * have (`starting`) is left out with its edges.
 */
export function buildVoiceDiagram(): MachineDiagram {
  const session = buildMachineDiagram(voiceMachine.root);
  const turn = buildMachineDiagram(turnMachine.root);
  const host = session.root.children.find((c) => c.invoke.includes("turn"));
  if (!host) return session;
  const rename = (id: string) => `${host.id}${id.slice(turn.root.id.length)}`;
  const renameNode = (n: DiagramNode): DiagramNode => ({
    ...n,
    id: rename(n.id),
    initial: n.initial === null ? null : rename(n.initial),
    children: n.children.map(renameNode),
  });
  const drawn = turn.root.children.map(renameNode);
  const ids = new Set<string>();
  const collect = (n: DiagramNode) => (ids.add(n.id), n.children.forEach(collect));
  drawn.forEach(collect);
  const keep = (id: string) => !id.startsWith(`${host.id}.`) || ids.has(id);
  const root: DiagramNode = {
    ...session.root,
    children: session.root.children.map((c) => (c === host ? { ...host, initial: drawn[0]?.id ?? null, children: drawn } : c)),
  };
  const edges = [
    // The mirror's own bookkeeping (following the turn's stage reports) is the turn's transitions, drawn below.
    ...session.edges.filter((e) => keep(e.source) && keep(e.target) && !e.event.startsWith("turn.")),
    ...turn.edges.map((e) => ({ ...e, source: rename(e.source), target: rename(e.target) })),
  ];
  const phases: Record<string, string> = { ...session.phases };
  for (const [path, id] of Object.entries(turn.phases)) phases[path] = rename(id);
  const entered: Record<string, string> = {};
  for (const [type, key] of Object.entries(ENTERED)) {
    const state = turn.root.children.find((c) => c.key === key);
    if (!state) throw new Error(`The turn machine has no state "${key}" (the dashboard's diagram marks it on ${type})`);
    entered[type] = rename(state.id);
  }
  return { id: session.id, root, edges, phases, running: session.running, entered };
}

let cached: string | undefined;

/** The voice machines' diagram as JSON text (computed once). */
export function voiceMachineDiagramJson(): string {
  cached ??= JSON.stringify(buildVoiceDiagram());
  return cached;
}
