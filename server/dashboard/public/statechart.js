// Draws the voice machine's statechart (from /dashboard/machine.json, which
// the server derives from the machine definition) as inline SVG, and
// highlights the active state. Layout: the top level is a column; compound
// states lay their children in a row; parallel states stack their regions.
// Transitions are drawn between siblings (after lifting source and target to
// the children of their common ancestor) as arcs: in a row, forward arcs
// above and backward arcs below; in the column, forward on the right and
// backward on the left. Each arc's label lists its events; the full list
// with guards is in its tooltip.
import { s } from "./dom.js";

const ATOM_H = 38, PAD = 10, HEAD = 18, GAP = 22, LEVEL = 13, CHAR = 6.6;

function textWidth(t, size = CHAR) {
  return t.length * size;
}

export class Statechart {
  constructor(el, diagram) {
    this.el = el;
    this.d = diagram;
    this.nodes = new Map();
    this.parent = new Map();
    const index = (n, p) => {
      this.nodes.set(n.id, n);
      if (p) this.parent.set(n.id, p.id);
      n.children.forEach((c) => index(c, n));
    };
    index(diagram.root, null);
    this.siblingEdges = this.#liftEdges();
    this.groups = new Map();
    this.render();
  }

  #chain(id) {
    const out = [];
    for (let cur = id; cur; cur = this.parent.get(cur)) out.unshift(cur);
    return out;
  }

  /**
   * Events that every top-level state (but the final ones) takes to the same
   * target, e.g. system.shutdown -> stopped: summarised in a note instead of
   * an arc from each state.
   */
  #everywhere() {
    const top = this.d.root.children.filter((c) => c.type !== "final").map((c) => c.id);
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
    const byContainer = new Map();
    this.summarised = this.#everywhere();
    const skip = new Set(this.summarised.map((e) => `${e.event}>${e.target}`));
    for (const e of this.d.edges) {
      if (skip.has(`${e.event}>${e.target}`)) continue;
      const a = this.#chain(e.source), b = this.#chain(e.target);
      let k = 0;
      while (k < a.length && k < b.length && a[k] === b[k]) k++;
      let lca = a[k - 1];
      if (lca === e.source || lca === e.target) lca = this.parent.get(lca);
      if (!lca) continue;
      const i = a.indexOf(lca), j = b.indexOf(lca);
      const from = a[i + 1], to = b[j + 1];
      if (!from || !to || from === to) continue;
      const list = byContainer.get(lca) ?? new Map();
      byContainer.set(lca, list);
      const key = `${from}>${to}`;
      const edge = list.get(key) ?? { from, to, labels: [], details: [] };
      if (!edge.labels.includes(e.label)) edge.labels.push(e.label);
      edge.details.push(`${e.label}${e.guard ? ` [${e.guard}]` : ""}: ${e.source.slice(this.d.id.length + 1)} → ${e.target.slice(this.d.id.length + 1)}`);
      list.set(key, edge);
    }
    return byContainer;
  }

  /** Compute sizes bottom-up; returns a layout tree. */
  #measure(node, dir) {
    const sub = node.invoke.length ? `runs ${node.invoke.join(", ")}` : "";
    if (!node.children.length) {
      const w = Math.max(64, textWidth(node.key) + 18, textWidth(sub, 5.4) + 14);
      return { node, w, h: ATOM_H, kids: [], sub };
    }
    if (node.type === "parallel") {
      const kids = node.children.map((c) => this.#measure(c, "row"));
      const w = Math.max(...kids.map((k) => k.w)) + 2 * PAD;
      const h = HEAD + kids.reduce((t, k) => t + k.h + PAD, 0);
      return { node, w, h, kids, sub, dir: "stack" };
    }
    const kids = node.children.map((c) => this.#measure(c, "row"));
    const edges = [...(this.siblingEdges.get(node.id)?.values() ?? [])];
    const order = new Map(node.children.map((c, i) => [c.id, i]));
    // Levels: shorter spans close to the children, longer ones further out.
    const fwd = edges.filter((e) => order.get(e.from) < order.get(e.to)).sort((x, y) => span(x) - span(y));
    const back = edges.filter((e) => order.get(e.from) > order.get(e.to)).sort((x, y) => span(x) - span(y));
    function span(e) {
      return Math.abs(order.get(e.from) - order.get(e.to));
    }
    fwd.forEach((e, i) => (e.level = i + 1));
    back.forEach((e, i) => (e.level = i + 1));
    const near = dir === "column" ? 34 : 16; // room for labels
    const arcA = fwd.length ? near + fwd.length * LEVEL : 4;
    const arcB = back.length ? near + back.length * LEVEL : 4;
    const labelRoom = dir === "column" ? Math.max(0, ...edges.map((e) => textWidth(e.labels.join(", ").slice(0, 40), 5.6))) : 0;
    if (dir === "column") {
      const w = Math.max(...kids.map((k) => k.w)) + arcA + arcB + 2 * PAD + labelRoom;
      const h = HEAD + kids.reduce((t, k) => t + k.h, 0) + GAP * (kids.length - 1) + PAD;
      return { node, w, h, kids, sub, dir, fwd, back, arcA, arcB, labelRoom };
    }
    const w = kids.reduce((t, k) => t + k.w, 0) + GAP * (kids.length - 1) + 2 * PAD;
    const h = HEAD + arcA + Math.max(...kids.map((k) => k.h)) + arcB + PAD;
    return { node, w, h, kids, sub, dir, fwd, back, arcA, arcB };
  }

  /** Assign positions top-down. */
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
      const inner = l.w - 2 * PAD - l.arcA - l.arcB - l.labelRoom;
      for (const k of l.kids) {
        this.#place(k, cx + (inner - k.w) / 2, cy);
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

  #draw(l, parentG) {
    const n = l.node;
    const g = s("g", { class: `sc-state ${n.type === "atomic" ? "atomic" : n.type}`, "data-id": n.id });
    this.groups.set(n.id, g);
    const isRoot = n.id === this.d.root.id;
    const rect = s("rect", { x: l.x, y: l.y, width: l.w, height: l.h, rx: n.children.length ? 10 : 8 });
    if (isRoot) rect.setAttribute("opacity", "0");
    g.append(rect);
    if (!isRoot) {
      const label = s("text", { x: l.x + (n.children.length ? 8 : l.w / 2), y: l.y + (n.children.length ? 13 : l.sub ? 16 : 23), "text-anchor": n.children.length ? "start" : "middle" }, n.key);
      g.append(label);
      if (l.sub && !n.children.length) g.append(s("text", { class: "sc-sub", x: l.x + l.w / 2, y: l.y + 30, "text-anchor": "middle" }, l.sub));
      else if (l.sub) g.append(s("text", { class: "sc-sub", x: l.x + 14 + textWidth(n.key), y: l.y + 13 }, l.sub));
    }
    const title = s("title", {}, `${n.id}${n.type !== "atomic" ? ` (${n.type})` : ""}${n.invoke.length ? `\ninvokes: ${n.invoke.join(", ")}` : ""}${n.deadlines.length ? `\ndeadlines: ${n.deadlines.join(", ")}` : ""}`);
    g.append(title);
    parentG.append(g);
    if (l.dir === "stack") {
      l.kids.slice(1).forEach((k) => parentG.append(s("line", { class: "sc-region", x1: l.x + 6, x2: l.x + l.w - 6, y1: k.y - PAD / 2, y2: k.y - PAD / 2 })));
    }
    for (const k of l.kids) this.#draw(k, parentG);
    if (l.fwd) this.#drawEdges(l, parentG);
  }

  #drawEdges(l, parentG) {
    const pos = new Map(l.kids.map((k) => [k.node.id, k]));
    const draw = (e, forward) => {
      const a = pos.get(e.from), b = pos.get(e.to);
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
      const g = s("g", { class: "sc-edge" }, s("path", { d, "marker-end": "url(#sc-arrow)" }), s("text", { x: lx, y: ly, "text-anchor": anchor }, label.length > 34 ? `${label.slice(0, 33)}…` : label), s("title", {}, e.details.join("\n")));
      parentG.append(g);
    };
    l.fwd.forEach((e) => draw(e, true));
    l.back.forEach((e) => draw(e, false));
  }

  render() {
    this.groups.clear();
    const layout = this.#measure(this.d.root, "column");
    this.#place(layout, 0, -HEAD + 4);
    const W = layout.w, H = layout.h - HEAD + 8;
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true" });
    svg.append(s("defs", {}, s("marker", { id: "sc-arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { class: "sc-arrow", d: "M0,0 L8,4 L0,8 z" }))));
    const g = s("g");
    svg.append(g);
    this.#draw(layout, g);
    this.el.replaceChildren(svg);
    const note = this.el.nextElementSibling;
    if (note) note.textContent = this.summarised.map((e) => `From every state: ${e.label} → ${e.target.slice(this.d.id.length + 1)}.`).join(" ") + " Hover a state or arrow for details.";
    if (this.active) this.highlight(this.active.path, this.active.phase);
  }

  /** Highlight the state announcing `path` (from state_change) and its ancestors. */
  highlight(path, phase) {
    this.active = { path, phase };
    for (const g of this.groups.values()) g.classList.remove("active", "ancestor");
    const id = this.d.phases[path] ?? this.d.phases[phase];
    if (!id) return;
    const chain = this.#chain(id);
    chain.forEach((cid, i) => {
      const g = this.groups.get(cid);
      if (!g || cid === this.d.root.id) return;
      g.classList.add(i === chain.length - 1 ? "active" : "ancestor");
      g.dataset.phase = phase;
    });
    this.el.dataset.active = id;
  }

  /** Mark the states that invoke `src` (e.g. "tools" while a tool runs); null clears. */
  running(src) {
    for (const [id, g] of this.groups) g.classList.toggle("running", !!src && this.nodes.get(id).invoke.includes(src));
  }
}
