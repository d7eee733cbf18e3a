// The read-only page served by a server without a voice pipeline (the
// seed's bare WebSocketServer): the connection state and the live event log,
// and no controls, since there is no pipeline to take commands. It follows
// the session its address names (/?session=x), like the full dashboard.
import { CodaClient } from "/dashboard/client.js";
import { byId, errorText } from "./dom.js";
import { EventLog } from "./eventlog.js";
import { pageSession, sessionOptions } from "./sessions.js";

const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? undefined;
const asked = pageSession(location.search);
const client = new CodaClient({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`,
  token,
  ...sessionOptions(asked),
});
const log = new EventLog(/** @type {HTMLTableElement} */ (byId("log")), /** @type {HTMLSelectElement} */ (byId("log-filter")), /** @type {HTMLElement} */ (document.querySelector(".log-scroll")));
const conn = byId("conn");

client.on("state", (state) => {
  conn.dataset.state = state;
  conn.textContent = { idle: "not connected", connecting: "connecting…", open: "connected", reconnecting: "reconnecting…", closed: "disconnected" }[state];
});
client.on("event", (e, meta) => log.add(e, meta.replayed));
client.on("welcome", (w) => (byId("session").textContent = `session: ${w.session ?? "default"}`));
client.connect().catch((err) => (byId("notice").textContent = errorText(err)));
