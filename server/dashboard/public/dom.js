// Small DOM helpers shared by the dashboard modules (no framework).

/**
 * Attributes of h() and s(): `class`, `dataset` (an object), anything else
 * as an attribute; null, undefined and false leave it out, true sets it empty.
 * @typedef {{ class?: string | null, dataset?: Record<string, string>, [name: string]: unknown }} Attrs
 */
/** @typedef {Node | string | null | undefined} Child */

/**
 * Create an element: h("li", { class: "turn", dataset: { turn: "t1" } }, "text", child).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

/**
 * Create an SVG element with attributes.
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | null | undefined>} [attrs]
 * @param {...Child} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/**
 * The element with this id; throws when the page lacks it (a page and script out of step).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no #${id}`);
  return el;
}

/**
 * Milliseconds for people: 840 ms, 1.24 s.
 * @param {number | null | undefined} value
 */
export function ms(value) {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

/**
 * A failure for people: a CommandError as "code: message", any other error as its message.
 * @param {unknown} err
 */
export function errorText(err) {
  if (err instanceof Error) return "code" in err ? `${String(err.code)}: ${err.message}` : err.message;
  return String(err);
}

/**
 * Shorten text to n characters with an ellipsis.
 * @param {string} text
 * @param {number} n
 */
export function clip(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
