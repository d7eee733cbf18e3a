// Sessions on the dashboard: which conversation the page follows (the page's
// own `?session=` and `?user=`, passed on to the WebSocket), a way to open
// another (a typed id, or a new random one: the page loads again at
// /?session=<id>, keeping the user and the token in the fragment), and the
// server's live sessions from GET /sessions (with the page's token as a
// Bearer header: a session-scoped token lists its own session only).
import { DEFAULT_SESSION_ID, SESSION_ID_PATTERN } from "/dashboard/client.js";
import { errorText, h } from "./dom.js";

/** One row of GET /sessions. @typedef {{ id: string, clients: number, state: string | null, last_seq: number, turns: number, created: string, last_active: string }} SessionRow */

/** The id rule, for people. */
export const ID_RULE = "1 to 64 letters, digits, '_' or '-'";

/**
 * What the page's URL asks for: `session` and `user` (null when absent), and
 * the problem with a value that is not an id (that value is then left out).
 * @param {string} search location.search
 * @returns {{ session: string | null, user: string | null, problem: string | null }}
 */
export function pageSession(search) {
  const params = new URLSearchParams(search);
  /** @type {string[]} */
  const problems = [];
  /** @param {"session" | "user"} key */
  const read = (key) => {
    const value = params.get(key);
    if (value === null || SESSION_ID_PATTERN.test(value)) return value;
    problems.push(`?${key}=${value} is not an id (${ID_RULE})`);
    return null;
  };
  const session = read("session");
  const user = read("user");
  return { session, user, problem: problems.length ? problems.join("; ") : null };
}

/**
 * The CodaClient options for what the page asks for (none for what it leaves to the server).
 * @param {{ session: string | null, user: string | null }} asked
 * @returns {{ session?: string, user?: string }}
 */
export function sessionOptions(asked) {
  return { ...(asked.session === null ? {} : { session: asked.session }), ...(asked.user === null ? {} : { user: asked.user }) };
}

/**
 * The page for session `id`, as the same user, keeping the fragment (the token).
 * @param {string} id
 * @param {string | null} user
 * @param {string} hash location.hash
 */
export function sessionHref(id, user, hash) {
  const params = new URLSearchParams({ session: id });
  if (user !== null) params.set("user", user);
  return `/?${params}${hash}`;
}

/** A new session id nobody is likely to have: "s-" and 10 hex digits. */
export function randomSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return `s-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * How long ago, for people: "now", "12 s ago", "5 min ago", "3 h ago".
 * @param {string} iso
 * @param {number} now
 */
function ago(iso, now) {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 2) return "now";
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export class SessionsPanel {
  /**
   * @param {{ list: HTMLElement, form: HTMLFormElement, input: HTMLInputElement, create: HTMLElement, refresh: HTMLElement, status: HTMLElement }} els
   * @param {{ user: string | null, token: string | undefined, current: () => string | null, open: (href: string) => void }} page
   *   the page's user and token, the session it is in (the server's answer; null before it), and how to go to another
   */
  constructor(els, page) {
    this.els = els;
    this.page = page;
    /** The newest listing asked for (an older answer arriving late is dropped). */
    this.asked = 0;
    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const id = els.input.value.trim();
      if (!SESSION_ID_PATTERN.test(id)) {
        els.status.textContent = `“${id}” is not a session id: ${ID_RULE}.`;
        return;
      }
      this.open(id);
    });
    els.create.addEventListener("click", () => this.open(randomSessionId()));
    els.refresh.addEventListener("click", () => void this.load());
  }

  /**
   * Go to session `id` (made by the server on its first join).
   * @param {string} id
   */
  open(id) {
    this.page.open(sessionHref(id, this.page.user, location.hash));
  }

  /** List the live sessions again (GET /sessions). */
  async load() {
    const asked = ++this.asked;
    this.els.list.setAttribute("aria-busy", "true");
    try {
      const res = await fetch("/sessions", { headers: this.page.token ? { authorization: `Bearer ${this.page.token}` } : {}, cache: "no-store" });
      /** @type {unknown} */
      const body = await res.json();
      if (asked !== this.asked) return;
      if (!res.ok) {
        const reason = typeof body === "object" && body !== null && "error" in body ? String(body.error) : res.statusText;
        this.els.status.textContent = `Could not list the sessions (HTTP ${res.status}): ${reason}`;
        return;
      }
      const rows = /** @type {SessionRow[]} */ (body);
      const now = Date.now();
      this.els.list.replaceChildren(...rows.map((row) => this.#item(row, now)));
      this.els.status.textContent = `${rows.length} live session${rows.length === 1 ? "" : "s"}.`;
    } catch (err) {
      if (asked === this.asked) this.els.status.textContent = `Could not list the sessions: ${errorText(err)}`;
    } finally {
      if (asked === this.asked) this.els.list.removeAttribute("aria-busy");
    }
  }

  /** @param {SessionRow} row @param {number} now */
  #item(row, now) {
    const here = row.id === (this.page.current() ?? DEFAULT_SESSION_ID);
    const link = h("a", { href: sessionHref(row.id, this.page.user, location.hash), "aria-current": here ? "page" : null }, row.id);
    const detail = `${row.clients} client${row.clients === 1 ? "" : "s"} · ${row.state ?? "no machine"} · ${row.turns} turn${row.turns === 1 ? "" : "s"} · active ${ago(row.last_active, now)}`;
    return h(
      "li",
      { class: "session", dataset: { id: row.id, here: String(here) }, title: `created ${row.created} · last seq ${row.last_seq}` },
      link,
      here ? h("span", { class: "here" }, "this page") : null,
      h("span", { class: "dim small" }, detail),
    );
  }
}
