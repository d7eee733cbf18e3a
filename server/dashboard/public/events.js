// The read-only page served by a server without a voice pipeline (the
// seed's bare WebSocketServer): the connection state and the live event log,
// and no controls, since there is no pipeline to take commands.
import { CodaClient } from "/dashboard/client.js";
import { EventLog } from "./eventlog.js";

/** @param {string} id */
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? undefined;
const client = new CodaClient({ url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`, token });
const log = new EventLog($("log"), $("log-filter"), document.querySelector(".log-scroll"));
const conn = $("conn");

client.on("state", (state) => {
  conn.dataset.state = state;
  conn.textContent = { idle: "not connected", connecting: "connecting…", open: "connected", reconnecting: "reconnecting…", closed: "disconnected" }[state];
});
client.on("event", (e, meta) => log.add(e, meta.replayed));
client.connect().catch((err) => ($("notice").textContent = String(err?.message ?? err)));
