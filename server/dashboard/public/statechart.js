// Draws the voice machine's statechart (from /dashboard/machine.json, which
// the server derives from the machine definition) as inline SVG, highlights
// the active state, and shows it through a viewport that can be zoomed and
// panned. Layout: the top level is a column, aligned left (so the idle state
// sits above where a turn starts); compound states lay their
// children in a row; parallel states stack their regions. Transitions are
// drawn between siblings (after lifting source and target to the children of
// their common ancestor) as arcs: in a row, forward arcs above and backward
// arcs below; in the column, forward on the right and backward on the left.
// Each arc's label lists its events; the full list with guards is in its
// tooltip. Labels are drawn above every arrow, on a halo.
//
// The whole machine is far wider than a dashboard column, so the default
// view follows the active state at a readable size (labels at least their
// CSS size): the largest of its enclosing states that fits, e.g. the whole
// `answering` region while the answer is generated and spoken. Dragging
// pans, the buttons (or Ctrl + wheel, or + - 0 F on the focused chart) zoom,
// fit the whole machine, or follow the active state again.
import { h, s } from "./dom.js";

/** @typedef {import("../diagram.js").MachineDiagram} Diagram */
/** @typedef {import("../diagram.js").DiagramNode} DiagramNode */
/** @typedef {{ from: string, to: string, labels: string[], details: string[], level: number }} SiblingEdge */
/**
 * @typedef {{ node: DiagramNode, w: number, h: number, kids: Layout[], sub: string, dir?: "stack" | "column" | "row",
 *   fwd?: SiblingEdge[], back?: SiblingEdge[], arcA: number, arcB: number, labelRoom: number, x: number, y: number }} Layout
 */
/** @typedef {{ x: number, y: number, w: number, h: number }} Box */

const ATOM_H = 38, PAD = 10, HEAD = 18, GAP = 22, LEVEL = 14, CHAR = 6.6;
/** Scale of the default view: at least 1 (labels at their CSS size), at most this when a small state is followed. */
const FOLLOW_MAX = 1.2;
const ZOOM_MIN = 0.2, ZOOM_MAX = 3, ZOOM_STEP = 1.25;
/** Room kept around what the view follows (px). */
const MARGIN = 12;

/** @param {string} t @param {number} [size] */
function textWidth(t, size = CHAR) {
  return t.length * size;
}

export class Statechart {
  /**
   * @param {HTMLElement} el the viewport (its CSS gives its size)
   * @param {Diagram} diagram
   * @param {{ note?: HTMLElement | null, tools?: HTMLElement | null }} [parts] where the note on shared transitions and the view buttons go
   */
  constructor(el, diagram, parts = {}) {
    this.el = el;
    this.d = diagram;
    this.note = parts.note ?? null;
    /** @type {Map<string, DiagramNode>} */
    this.nodes = new Map();
    /** @type {Map<string, string>} */
    this.parent = new Map();
    /** @param {DiagramNode} n @param {DiagramNode | null} p */
    const index = (n, p) => {
      this.nodes.set(n.id, n);
      if (p) this.parent.set(n.id, p.id);
      n.children.forEach((c) => index(c, n));
    };
    index(diagram.root, null);
    /** @type {{ event: string, label: string, target: string }[]} */
    this.summarised = this.#everywhere();
    this.siblingEdges = this.#liftEdges();
    /** @type {Map<string, SVGGElement>} */
    this.groups = new Map();
    /** @type {Map<string, Box>} */
    this.boxes = new Map();
    /** @type {{ id: string, phase: string } | null} */
    this.active = null;
    /** The whole drawing, in its own units (set by render). @type {Box | null} */
    this.extent = null;
    this.view = { k: 1, cx: 0, cy: 0 };
    this.following = true;
    this.size = { w: 0, h: 0 };
    this.svg = s("svg", { "aria-hidden": "true" });
    this.followButton = h("button", { type: "button", "aria-pressed": "true", title: "Keep the active state in view (F)" }, "Follow");
    if (parts.tools) this.#tools(parts.tools);
    this.#interaction();
    this.render();
    new ResizeObserver(() => this.#resized()).observe(el);
  }

  /** @param {string} id */
  #chain(id) {
    /** @type {string[]} */
    const out = [];
    for (let cur = /** @type {string | undefined} */ (id); cur; cur = this.parent.get(cur)) out.unshift(cur);
    return out;
  }

  /** @param {string} id */
  #short(id) {
    return id.slice(this.d.id.length + 1);
  }

  /**
   * Events that every top-level state (but the final ones) takes to the same
   * target, e.g. system.shutdown -> stopped: summarised in a note instead of
   * an arc from each state.
   */
  #everywhere() {
    const top = this.d.root.children.filter((c) => c.type !== "final").map((c) => c.id);
    /** @type {{ event: string, label: string, target: string }[]} */
    const found = [];
    for (const e of this.d.edges) {
      if (e.source !== top[0]) continue;
      const all = top.every((id) => this.d.edges.some((x) => x.source === id && x.event === e.event && x.target === e.target));
      if (all && !found.some((f) => f.event === e.event)) found.push(e);
    }
    return found;
  }

  /** Group transitions by (container, source child, target child). */
  #liftEdges() {
    /** @type {Map<string, Map<string, SiblingEdge>>} */
    const byContainer = new Map();
    const skip = new Set(this.summarised.map((e) => `${e.event}>${e.target}`));
    for (const e of this.d.edges) {
      if (skip.has(`${e.event}>${e.target}`)) continue;
      const a = this.#chain(e.source), b = this.#chain(e.target);
      let k = 0;
      while (k < a.length && k < b.length && a[k] === b[k]) k++;
      let lca = a[k - 1];
      if (lca === e.source || lca === e.target) lca = lca === undefined ? undefined : this.parent.get(lca);
      if (!lca) continue;
      const from = a[a.indexOf(lca) + 1], to = b[b.indexOf(lca) + 1];
      if (!from || !to || from === to) continue;
      const list = byContainer.get(lca) ?? new Map();
      byContainer.set(lca, list);
      const key = `${from}>${to}`;
      const edge = list.get(key) ?? { from, to, labels: [], details: [], level: 0 };
      if (!edge.labels.includes(e.label)) edge.labels.push(e.label);
      edge.details.push(`${e.label}${e.guard ? ` [${e.guard}]` : ""}: ${this.#short(e.source)} → ${this.#short(e.target)}`);
      list.set(key, edge);
    }
    return byContainer;
  }

  /**
   * Compute sizes bottom-up; returns a layout tree.
   * @param {DiagramNode} node
   * @param {"row" | "column"} dir
   * @returns {Layout}
   */
  #measure(node, dir) {
    const sub = node.invoke.length ? `runs ${node.invoke.join(", ")}` : "";
    const base = { node, sub, arcA: 0, arcB: 0, labelRoom: 0, x: 0, y: 0 };
    if (!node.children.length) {
      const w = Math.max(64, textWidth(node.key) + 18, textWidth(sub, 5.6) + 14);
      return { ...base, w, h: ATOM_H, kids: [] };
    }
    if (node.type === "parallel") {
      const kids = node.children.map((c) => this.#measure(c, "row"));
      const w = Math.max(...kids.map((k) => k.w)) + 2 * PAD;
      const h = HEAD + kids.reduce((t, k) => t + k.h + PAD, 0);
      return { ...base, w, h, kids, dir: "stack" };
    }
    const kids = node.children.map((c) => this.#measure(c, "row"));
    const edges = [...(this.siblingEdges.get(node.id)?.values() ?? [])];
    const order = new Map(node.children.map((c, i) => [c.id, i]));
    /** @param {SiblingEdge} e */
    const from = (e) => order.get(e.from) ?? 0;
    /** @param {SiblingEdge} e */
    const to = (e) => order.get(e.to) ?? 0;
    /** @param {SiblingEdge} e */
    const span = (e) => Math.abs(from(e) - to(e));
    // Levels: shorter spans close to the children, longer ones further out.
    const fwd = edges.filter((e) => from(e) < to(e)).sort((x, y) => span(x) - span(y));
    const back = edges.filter((e) => from(e) > to(e)).sort((x, y) => span(x) - span(y));
    fwd.forEach((e, i) => (e.level = i + 1));
    back.forEach((e, i) => (e.level = i + 1));
    const near = dir === "column" ? 34 : 18; // room for labels
    const arcA = fwd.length ? near + fwd.length * LEVEL : 4;
    const arcB = back.length ? near + back.length * LEVEL : 4;
    if (dir === "column") {
      const labelRoom = Math.max(0, ...edges.map((e) => textWidth(e.labels.join(", ").slice(0, 40), 6)));
      const w = Math.max(...kids.map((k) => k.w)) + arcA + arcB + 2 * PAD + labelRoom;
      const h = HEAD + kids.reduce((t, k) => t + k.h, 0) + GAP * (kids.length - 1) + PAD;
      return { ...base, w, h, kids, dir, fwd, back, arcA, arcB, labelRoom };
    }
    const w = kids.reduce((t, k) => t + k.w, 0) + GAP * (kids.length - 1) + 2 * PAD;
    const h = HEAD + arcA + Math.max(...kids.map((k) => k.h)) + arcB + PAD;
    return { ...base, w, h, kids, dir, fwd, back, arcA, arcB };
  }

  /**
   * Assign positions top-down.
   * @param {Layout} l @param {number} x @param {number} y
   */
  #place(l, x, y) {
    l.x = x;
    l.y = y;
    if (l.dir === "stack") {
      let cy = y + HEAD;
      for (const k of l.kids) {
        this.#place(k, x + PAD, cy);
        k.w = l.w - 2 * PAD; // regions share the parallel state's width
        cy += k.h + PAD;
      }
    } else if (l.dir === "column") {
      let cy = y + HEAD;
      const cx = x + PAD + l.arcB + l.labelRoom / 2;
      for (const k of l.kids) {
        this.#place(k, cx, cy);
        cy += k.h + GAP;
      }
    } else if (l.dir === "row") {
      let cx = x + PAD;
      const top = y + HEAD + l.arcA;
      for (const k of l.kids) {
        this.#place(k, cx, top);
        cx += k.w + GAP;
      }
    }
  }

  /**
   * @param {Layout} l
   * @param {{ edges: SVGGElement, states: SVGGElement, labels: SVGGElement }} layers
   */
  #draw(l, layers) {
    const n = l.node;
    this.boxes.set(n.id, { x: l.x, y: l.y, w: l.w, h: l.h });
    const g = s("g", { class: `sc-state ${n.type === "atomic" ? "atomic" : n.type}`, "data-id": n.id });
    this.groups.set(n.id, g);
    const isRoot = n.id === this.d.root.id;
    const rect = s("rect", { x: l.x, y: l.y, width: l.w, height: l.h, rx: n.children.length ? 10 : 8 });
    if (isRoot) rect.setAttribute("opacity", "0");
    g.append(rect);
    if (!isRoot) {
      const label = s("text", { class: "sc-name", x: l.x + (n.children.length ? 8 : l.w / 2), y: l.y + (n.children.length ? 13 : l.sub ? 16 : 23), "text-anchor": n.children.length ? "start" : "middle" }, n.key);
      g.append(label);
      if (l.sub && !n.children.length) g.append(s("text", { class: "sc-sub", x: l.x + l.w / 2, y: l.y + 30, "text-anchor": "middle" }, l.sub));
      else if (l.sub) g.append(s("text", { class: "sc-sub", x: l.x + 14 + textWidth(n.key), y: l.y + 13 }, l.sub));
    }
    const title = s("title", {}, `${n.id}${n.type !== "atomic" ? ` (${n.type})` : ""}${n.invoke.length ? `\ninvokes: ${n.invoke.join(", ")}` : ""}${n.deadlines.length ? `\ndeadlines: ${n.deadlines.join(", ")}` : ""}`);
    g.append(title);
    layers.states.append(g);
    if (l.dir === "stack") {
      l.kids.slice(1).forEach((k) => layers.states.append(s("line", { class: "sc-region", x1: l.x + 6, x2: l.x + l.w - 6, y1: k.y - PAD / 2, y2: k.y - PAD / 2 })));
    }
    for (const k of l.kids) this.#draw(k, layers);
    if (l.fwd) this.#drawEdges(l, layers);
  }

  /**
   * @param {Layout} l
   * @param {{ edges: SVGGElement, labels: SVGGElement }} layers
   */
  #drawEdges(l, layers) {
    const pos = new Map(l.kids.map((k) => [k.node.id, k]));
    /** @param {SiblingEdge} e @param {boolean} forward */
    const draw = (e, forward) => {
      const a = pos.get(e.from), b = pos.get(e.to);
      if (!a || !b) return;
      let d, lx, ly, anchor;
      if (l.dir === "row") {
        const off = LEVEL * e.level + 8;
        const x1 = a.x + a.w / 2 + (forward ? 6 : -6), x2 = b.x + b.w / 2 + (forward ? -6 : 6);
        const y1 = forward ? a.y : a.y + a.h, y2 = forward ? b.y : b.y + b.h;
        const yc = forward ? Math.min(y1, y2) - off : Math.max(y1, y2) + off;
        d = `M${x1},${y1} C${x1},${yc} ${x2},${yc} ${x2},${y2}`;
        lx = (x1 + x2) / 2;
        ly = forward ? yc + 3.5 : yc + 0.5;
        anchor = "middle";
      } else {
        const off = LEVEL * e.level + 12;
        const x1 = forward ? a.x + a.w : a.x, x2 = forward ? b.x + b.w : b.x;
        const y1 = a.y + a.h / 2 + (forward ? 4 : -4), y2 = b.y + b.h / 2 + (forward ? -4 : 4);
        const xc = forward ? Math.max(x1, x2) + off : Math.min(x1, x2) - off;
        d = `M${x1},${y1} C${xc},${y1} ${xc},${y2} ${x2},${y2}`;
        lx = forward ? xc - 0.25 * off + 4 : xc + 0.25 * off - 4;
        ly = (y1 + y2) / 2 + 3;
        anchor = forward ? "start" : "end";
      }
      const label = e.labels.join(", ");
      const details = e.details.join("\n");
      layers.edges.append(s("g", { class: "sc-edge" }, s("path", { d, "marker-end": "url(#sc-arrow)" }), s("title", {}, details)));
      layers.labels.append(s("text", { x: lx, y: ly, "text-anchor": anchor }, label.length > 34 ? `${label.slice(0, 33)}…` : label, s("title", {}, details)));
    };
    (l.fwd ?? []).forEach((e) => draw(e, true));
    (l.back ?? []).forEach((e) => draw(e, false));
  }

  render() {
    this.groups.clear();
    this.boxes.clear();
    const layout = this.#measure(this.d.root, "column");
    this.#place(layout, 0, -HEAD + 4);
    this.extent = { x: 0, y: 0, w: layout.w, h: layout.h - HEAD + 8 };
    const layers = { edges: s("g", { class: "sc-edges" }), states: s("g", { class: "sc-states" }), labels: s("g", { class: "sc-labels" }) };
    this.#draw(layout, layers);
    const defs = s("defs", {}, s("marker", { id: "sc-arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { class: "sc-arrow", d: "M0,0 L8,4 L0,8 z" })));
    // Arrows under the states (an arc crossing a state passes behind it), every label on top.
    this.svg.replaceChildren(defs, layers.edges, layers.states, layers.labels);
    this.el.replaceChildren(this.svg);
    if (this.note) this.note.textContent = this.summarised.map((e) => `From every state: ${e.label} → ${this.#short(e.target)}.`).join(" ") + " Hover a state or arrow for details; drag to pan.";
    if (this.active) this.#mark(this.active.id, this.active.phase);
    this.#resized();
  }

  /**
   * Highlight the state announcing `path` (from state_change) and its ancestors.
   * @param {string} path
   * @param {string} phase the coarse state
   */
  highlight(path, phase) {
    const id = this.d.phases[path] ?? this.d.phases[phase];
    if (id) this.highlightState(id, phase);
  }

  /**
   * Highlight the state `id` and its ancestors (e.g. what a wire event says
   * the machine entered without a state_change: `d.entered`).
   * @param {string} id
   * @param {string} phase the coarse state
   */
  highlightState(id, phase) {
    if (!this.nodes.has(id)) return;
    this.active = { id, phase };
    this.#mark(id, phase);
    if (this.following) this.#follow();
  }

  /** @param {string} id @param {string} phase */
  #mark(id, phase) {
    for (const g of this.groups.values()) g.classList.remove("active", "ancestor");
    const chain = this.#chain(id);
    chain.forEach((cid, i) => {
      const g = this.groups.get(cid);
      if (!g || cid === this.d.root.id) return;
      g.classList.add(i === chain.length - 1 ? "active" : "ancestor");
      g.dataset.phase = phase;
    });
    this.el.dataset.active = id;
  }

  /**
   * Mark the states that invoke `src` (e.g. "tools" while a tool runs); null clears.
   * @param {string | null} src
   */
  running(src) {
    for (const [id, g] of this.groups) g.classList.toggle("running", !!src && !!this.nodes.get(id)?.invoke.includes(src));
  }

  // --- the view ---------------------------------------------------------------

  /** Show the largest state around the active one that fits at a readable size. */
  #follow() {
    const { w: vw, h: vh } = this.size;
    if (!vw || !vh) return;
    const id = this.active?.id ?? this.d.root.initial ?? this.d.root.id;
    const chain = this.#chain(id).filter((c) => c !== this.d.root.id);
    const fits = chain.map((c) => this.boxes.get(c)).filter((b) => b !== undefined);
    const box = fits.find((b) => b.w + 2 * MARGIN <= vw && b.h + 2 * MARGIN <= vh) ?? fits.at(-1) ?? this.extent;
    if (!box) return;
    const k = Math.min(FOLLOW_MAX, Math.max(1, Math.min((vw - 2 * MARGIN) / box.w, (vh - 2 * MARGIN) / box.h)));
    this.#setView(k, box.x + box.w / 2, box.y + box.h / 2);
  }

  /** The whole machine in view (small print). */
  fit() {
    const e = this.extent;
    const { w: vw, h: vh } = this.size;
    if (!e || !vw || !vh) return;
    this.#setFollowing(false);
    this.#setView(Math.min(vw / e.w, vh / e.h), e.x + e.w / 2, e.y + e.h / 2);
  }

  /** Follow the active state again. */
  follow() {
    this.#setFollowing(true);
    this.#follow();
  }

  /**
   * Zoom by `factor` around a point of the viewport (its centre by default).
   * @param {number} factor
   * @param {number} [px] @param {number} [py] viewport pixels
   */
  zoom(factor, px = this.size.w / 2, py = this.size.h / 2) {
    const { k, cx, cy } = this.view;
    const k2 = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, k * factor));
    // The point under (px, py) stays there.
    const wx = cx + (px - this.size.w / 2) / k, wy = cy + (py - this.size.h / 2) / k;
    this.#setFollowing(false);
    this.#setView(k2, wx - (px - this.size.w / 2) / k2, wy - (py - this.size.h / 2) / k2);
  }

  /** @param {number} dx @param {number} dy viewport pixels */
  pan(dx, dy) {
    this.#setFollowing(false);
    this.#setView(this.view.k, this.view.cx - dx / this.view.k, this.view.cy - dy / this.view.k);
  }

  /**
   * Show the drawing at scale `k` around (cx, cy), kept inside the drawing
   * where it is larger than the view (so a state at its edge is shown with
   * what lies next to it rather than with empty space), centred where not.
   * @param {number} k @param {number} cx @param {number} cy
   */
  #setView(k, cx, cy) {
    const { w: vw, h: vh } = this.size;
    const e = this.extent;
    /** @param {number} c @param {number} span @param {number} from @param {number} size */
    const clamp = (c, span, from, size) => (span >= size ? from + size / 2 : Math.min(Math.max(c, from + span / 2), from + size - span / 2));
    if (e && vw && vh) {
      cx = clamp(cx, vw / k, e.x, e.w);
      cy = clamp(cy, vh / k, e.y, e.h);
    }
    this.view = { k, cx, cy };
    if (!vw || !vh) return;
    this.svg.setAttribute("viewBox", `${cx - vw / 2 / k} ${cy - vh / 2 / k} ${vw / k} ${vh / k}`);
    this.el.dataset.zoom = k.toFixed(2);
  }

  /** @param {boolean} on */
  #setFollowing(on) {
    this.following = on;
    this.followButton.setAttribute("aria-pressed", String(on));
  }

  #resized() {
    const r = this.el.getBoundingClientRect();
    this.size = { w: r.width, h: r.height };
    if (this.following) this.#follow();
    else this.#setView(this.view.k, this.view.cx, this.view.cy);
  }

  /** @param {HTMLElement} bar */
  #tools(bar) {
    /** @param {string} text @param {string} title @param {() => void} act */
    const button = (text, title, act) => {
      const b = h("button", { type: "button", title }, text);
      b.addEventListener("click", act);
      return b;
    };
    this.followButton.addEventListener("click", () => this.follow());
    bar.replaceChildren(
      button("−", "Zoom out (-)", () => this.zoom(1 / ZOOM_STEP)),
      button("+", "Zoom in (+)", () => this.zoom(ZOOM_STEP)),
      button("Fit", "Show the whole machine (0)", () => this.fit()),
      this.followButton,
    );
  }

  #interaction() {
    const el = this.el;
    /** @type {{ id: number, x: number, y: number, moved: boolean } | null} */
    let drag = null;
    el.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      drag = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: false };
      el.setPointerCapture(e.pointerId);
    });
    el.addEventListener("pointermove", (e) => {
      if (!drag || drag.id !== e.pointerId) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 3) return;
      drag.moved = true;
      el.classList.add("dragging");
      this.pan(dx, dy);
      drag.x = e.clientX;
      drag.y = e.clientY;
    });
    const end = () => {
      drag = null;
      el.classList.remove("dragging");
    };
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", end);
    // Ctrl (or ⌘) + wheel zooms; the plain wheel still scrolls the page.
    el.addEventListener(
      "wheel",
      (e) => {
        if (!e.ctrlKey && !e.metaKey) return;
        e.preventDefault();
        const r = el.getBoundingClientRect();
        this.zoom(Math.exp(-e.deltaY / 300), e.clientX - r.left, e.clientY - r.top);
      },
      { passive: false },
    );
    el.addEventListener("keydown", (e) => {
      /** @type {Record<string, () => void>} */
      const keys = {
        "+": () => this.zoom(ZOOM_STEP),
        "=": () => this.zoom(ZOOM_STEP),
        "-": () => this.zoom(1 / ZOOM_STEP),
        0: () => this.fit(),
        f: () => this.follow(),
        ArrowLeft: () => this.pan(40, 0),
        ArrowRight: () => this.pan(-40, 0),
        ArrowUp: () => this.pan(0, 40),
        ArrowDown: () => this.pan(0, -40),
      };
      const act = keys[e.key];
      if (!act || e.ctrlKey || e.metaKey || e.altKey) return;
      e.preventDefault();
      act();
    });
  }
}
