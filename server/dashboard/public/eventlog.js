// The live event log: newest last, bounded, with a type filter whose options
// grow as new event types are seen. Per-frame announcements of speech audio
// (`tts_audio`, about ten a second while the assistant speaks) are counted
// in the header instead of listed: rows would bury everything else.
import { clip, h } from "./dom.js";

const MAX_ROWS = 400;
/** Event types counted, not listed. */
const COUNTED = new Set(["tts_audio"]);

export class EventLog {
  /**
   * @param {HTMLTableElement} table with one tbody
   * @param {HTMLSelectElement} select the type filter
   * @param {HTMLElement} scroller the table's scrolling box
   * @param {HTMLElement} [counter] shows how many counted (unlisted) events arrived
   */
  constructor(table, select, scroller, counter) {
    this.body = table.tBodies[0] ?? table.createTBody();
    this.select = select;
    this.scroller = scroller;
    this.counter = counter;
    this.types = new Set();
    /** Speech audio frames announced (tts_audio), not listed. */
    this.audioFrames = 0;
    select.addEventListener("change", () => this.#applyFilter());
  }

  /**
   * @param {import("/dashboard/client.js").ServerEvent} e
   * @param {boolean} replayed
   */
  add(e, replayed) {
    if (COUNTED.has(e.type)) {
      this.audioFrames++;
      if (this.counter) {
        this.counter.hidden = false;
        this.counter.textContent = `${this.audioFrames} speech audio frame${this.audioFrames === 1 ? "" : "s"} (tts_audio, not listed)`;
      }
      return;
    }
    if (!this.types.has(e.type)) {
      this.types.add(e.type);
      const options = [...this.types].sort().map((t) => h("option", { value: t }, t));
      const current = this.select.value;
      this.select.replaceChildren(h("option", { value: "" }, "all types"), ...options);
      this.select.value = current;
    }
    const time = e.timestamp.slice(11, 23);
    const row = h(
      "tr",
      { class: replayed ? "replayed" : null, dataset: { type: e.type } },
      h("td", {}, e.seq === undefined ? "·" : String(e.seq)),
      h("td", {}, time),
      h("td", { class: "type" }, e.type),
      h("td", {}, clip(JSON.stringify(e.data), 160)),
    );
    row.hidden = !!this.select.value && this.select.value !== e.type;
    const stick = this.scroller.scrollTop + this.scroller.clientHeight >= this.scroller.scrollHeight - 24;
    this.body.append(row);
    while (this.body.rows.length > MAX_ROWS) this.body.rows[0]?.remove();
    if (stick) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  #applyFilter() {
    const want = this.select.value;
    for (const row of this.body.rows) row.hidden = !!want && row.dataset.type !== want;
  }
}
