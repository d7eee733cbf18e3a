/**
 * Where a new session runs: the least-loaded live node that may take one.
 * A pure function of the node registry's list, so the rule is table-tested
 * and every node, given the same list, makes the same choice.
 *
 * Eligible: not draining, and fewer sessions than its maxSessions. Among
 * those, the lowest share of its capacity in use (sessions / maxSessions),
 * then the lowest reported load figure, then the asking node itself (a tie
 * keeps the session where it was joined, saving a hand-over), then the
 * smallest id (a stable order).
 */

/** What placement reads of a node. */
export interface PlacementCandidate {
  id: string;
  /** Sessions it runs now. */
  sessions: number;
  /** Its reported load figure (e.g. event-loop utilisation, 0..1); lower is lighter. */
  load: number;
  maxSessions: number;
  draining: boolean;
}

/**
 * The id of the node that should run a new session, or null when no node
 * may take one (all draining or full: the join is refused with 503).
 * @example chooseNode([{ id: "a", sessions: 3, load: 0.2, maxSessions: 100, draining: false }, { id: "b", sessions: 1, load: 0.5, maxSessions: 100, draining: false }], "a") // "b"
 */
export function chooseNode(nodes: readonly PlacementCandidate[], local?: string): string | null {
  let best: PlacementCandidate | null = null;
  for (const node of nodes) {
    if (node.draining || !(node.sessions < node.maxSessions)) continue;
    if (best === null || compare(node, best, local) < 0) best = node;
  }
  return best?.id ?? null;
}

/** Negative when `a` is the better place. */
function compare(a: PlacementCandidate, b: PlacementCandidate, local: string | undefined): number {
  // a.sessions/a.maxSessions against b.sessions/b.maxSessions, in integers (no rounding).
  const share = a.sessions * b.maxSessions - b.sessions * a.maxSessions;
  if (share !== 0) return share;
  if (a.load !== b.load) return a.load - b.load;
  if (a.id === local) return -1;
  if (b.id === local) return 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
