// The memory panel: the server's long-term memories (memory_list, newest
// first), a search (memory_search) and a Forget button per memory
// (memory_forget). A turn whose answer was not heard to its end is marked
// "heard only": the server keeps only what was heard of it. The list follows
// new memories as turns store them. It also tells the conversation panel what
// a memory says was heard of a cut answer.
import { errorText, h } from "./dom.js";

/** @typedef {import("/dashboard/client.js").CodaClient} CodaClient */
/** @typedef {import("/dashboard/client.js").EventData<"memory_items">["items"][number]} MemoryItem */

/** Memories listed (the protocol allows up to 100). */
const LIST_LIMIT = 30;
/** Memories looked through for what was heard of cut answers (the replay's turns are the newest). */
const LOOKUP_LIMIT = 100;
/** Most memory texts remembered for that. */
const KNOWN_MAX = 500;
/** How the text of a turn kept as heard introduces its answer (docs/memory.md). */
const INTERRUPTED_LABEL = "\nAssistant (interrupted): ";

export class MemoryPanel {
  /**
   * @param {{ list: HTMLElement, form: HTMLFormElement, query: HTMLInputElement, status: HTMLElement, refresh: HTMLElement }} els
   * @param {CodaClient} client
   * @param {() => void} onTexts called when memory texts arrived (what was heard of a cut answer may now be known)
   */
  constructor(els, client, onTexts) {
    this.els = els;
    this.client = client;
    this.onTexts = onTexts;
    /** The search shown, or null for the newest memories. @type {string | null} */
    this.query = null;
    /** Texts of every memory seen, by id. @type {Map<string, MemoryItem>} */
    this.known = new Map();
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.pending = null;
    /** The request being answered, if any. @type {Promise<void> | null} */
    this.loading = null;
    // Search, or (empty box) list; Refresh does the same again.
    const submit = () => void this.load(els.query.value.trim() || null);
    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit();
    });
    els.query.addEventListener("search", () => {
      if (!els.query.value.trim() && this.query !== null) void this.load(null);
    });
    els.refresh.addEventListener("click", submit);
  }

  /**
   * Show the newest memories (query null) or those matching `query`.
   * @param {string | null} query
   */
  load(query) {
    const loading = this.#load(query);
    this.loading = loading;
    void loading.finally(() => this.loading === loading && (this.loading = null));
    return loading;
  }

  /** @param {string | null} query */
  async #load(query) {
    this.query = query;
    this.els.list.setAttribute("aria-busy", "true");
    try {
      const answer = query === null ? await this.client.memoryList(LIST_LIMIT) : await this.client.memorySearch(query, LIST_LIMIT);
      if (this.query !== query) return; // a newer request took over
      this.#remember(answer.items);
      this.els.list.replaceChildren(...answer.items.map((item) => this.#item(item)));
      const n = answer.items.length;
      this.els.status.textContent =
        query === null ? (n ? `The ${n === LIST_LIMIT ? `${n} newest` : n} memor${n === 1 ? "y" : "ies"}, newest first.` : "No memories yet.")
        : n ? `${n} memor${n === 1 ? "y matches" : "ies match"} “${query}”, best first.`
        : `No memory matches “${query}”.`;
    } catch (err) {
      this.els.status.textContent = errorText(err);
    } finally {
      this.els.list.removeAttribute("aria-busy");
    }
  }

  /** A turn stored a memory: the newest-first list shows it (a search stays as it is until searched again). */
  stored() {
    if (this.query !== null) return;
    if (this.pending) clearTimeout(this.pending);
    // A turn may store a fact and its own memory in one go: one request for both.
    this.pending = setTimeout(() => {
      this.pending = null;
      void this.load(null);
    }, 150);
  }

  /**
   * What the memory `id` says was heard of a cut answer (null when it is not a
   * turn kept as heard, or its text is not known here).
   * @param {string} id
   */
  heard(id) {
    const item = this.known.get(id);
    if (!item?.interrupted) return null;
    const at = item.text.indexOf(INTERRUPTED_LABEL);
    return at < 0 ? null : item.text.slice(at + INTERRUPTED_LABEL.length);
  }

  /**
   * Make sure the texts of these memories are known (one memory_list when some are not).
   * @param {string[]} ids
   */
  async lookUp(ids) {
    await this.loading; // the list being fetched may hold them
    if (ids.every((id) => this.known.has(id))) return;
    try {
      this.#remember((await this.client.memoryList(LOOKUP_LIMIT)).items);
    } catch {
      // Memory off or unavailable: the answer stays marked cut, shown as generated.
    }
  }

  /** @param {MemoryItem[]} items */
  #remember(items) {
    for (const item of items) {
      this.known.delete(item.id);
      this.known.set(item.id, item);
    }
    for (const id of this.known.keys()) {
      if (this.known.size <= KNOWN_MAX) break;
      this.known.delete(id);
    }
    if (items.length) this.onTexts();
  }

  /** @param {MemoryItem} item */
  #item(item) {
    const forget = h("button", { type: "button", class: "forget", "aria-label": `Forget memory ${item.id}` }, "Forget");
    const li = h(
      "li",
      { class: "memory", dataset: { id: item.id, kind: item.kind, interrupted: String(item.interrupted) } },
      h(
        "div",
        { class: "memory-head" },
        h("span", { class: `kind k-${item.kind}` }, item.kind),
        item.interrupted ? h("span", { class: "heard-only", title: "The answer was not heard to its end (stopped, interrupted, or every listener left): only what was heard is kept" }, "heard only") : null,
        h("span", { class: "dim" }, `${item.created_at.slice(0, 16).replace("T", " ")}${item.turn_id ? ` · ${item.turn_id}` : ""} · ${item.id}`),
        forget,
      ),
      h("div", { class: "memory-text" }, item.text),
    );
    forget.addEventListener("click", () => void this.#forget(item, li, forget));
    return li;
  }

  /** @param {MemoryItem} item @param {HTMLElement} li @param {HTMLButtonElement} button */
  async #forget(item, li, button) {
    button.disabled = true;
    try {
      await this.client.memoryForget(item.id);
      this.els.status.textContent = `Forgot ${item.id}.`;
      li.remove();
    } catch (err) {
      const gone = err instanceof Error && "code" in err && err.code === "not_found";
      if (gone) li.remove();
      else button.disabled = false;
      this.els.status.textContent = gone ? `${item.id} was already forgotten.` : errorText(err);
    }
  }
}
