// The desk: presence, offers to accept or decline, the queue with filters, live updates over the
// agent WebSocket (reconnecting, then re-reading what it may have missed) and SLA countdowns; the
// open ticket is drawn by conversation.js.
// Keyboard (outside text fields): n = next ticket, r = reply, e = escalate, d = resolve (done),
// / = search the KB, ? = this list.

import { conversation } from "./conversation.js";
import { ApiError, action, api, h, messageOf, t, fill } from "./lib.js";

let state = null; // the desk on screen (null when another screen is shown)

export function leaveDesk() {
  if (!state) return;
  const old = state;
  state = null;
  clearInterval(old.tick);
  if (old.ws) { old.ws.onclose = null; old.ws.close(); }
  old.view?.close();
}

export function due(ticket) {
  if (!ticket.due_at || ["resolved", "closed", "cancelled"].includes(ticket.status)) return null;
  const minutes = Math.round((new Date(ticket.due_at) - Date.now()) / 60000);
  const cls = minutes < 0 ? "due red" : minutes < 5 ? "due amber" : "due";
  const far = Math.abs(minutes) >= 120; // past two hours, whole hours read better
  const n = far ? Math.round(Math.abs(minutes) / 60) : Math.abs(minutes);
  const key = minutes < 0 ? (far ? "overdue_h" : "overdue_min") : (far ? "due_in_h" : "due_in_min");
  return h("span", { class: cls, "data-due": ticket.due_at, text: t(key, { n }) });
}

export function desk(main, session, logout, saveSession) {
  leaveDesk();
  const s = state = { session, logout, saveSession, tickets: [], offers: new Map(), ws: null, view: null, filter: "all", tier: "",
    refreshTimer: null, tick: null, retries: 0 };
  const presence = h("select", { id: "presence", onchange: async (ev) => {
    try {
      const me = await api("/v1/agent/me/presence", { method: "PUT", body: { presence: ev.target.value } });
      session.agent.presence = me.presence ?? ev.target.value;
    } catch (e) { live.textContent = messageOf(e); }
  } }, ["online", "away", "offline"].map((p) => h("option", { value: p, text: t(`presence_${p}`) })));
  presence.value = session.agent.presence || "offline";
  const live = h("p", { class: "meta", id: "connection", role: "status", text: t("connecting") });
  const filter = h("select", { id: "queue-filter", onchange: (ev) => { s.filter = ev.target.value; refresh(); } },
    ["all", "queued", "mine", "needs_lead"].map((f) => h("option", { value: f, text: t(`filter_${f}`) })));
  const tiers = h("select", { id: "queue-tier", onchange: (ev) => { s.tier = ev.target.value; refresh(); } },
    h("option", { value: "", text: t("all_tiers") }), ["L1", "L2", "L3"].map((x) => h("option", { value: x, text: x })));
  const side = h("nav", { class: "side", "aria-label": t("offers_and_queue") },
    h("div", { class: "toolbar" }, h("label", { for: "presence", text: t("presence") }), presence, live),
    h("h2", { id: "offers-h", text: t("offers") }), h("ul", { class: "offers", id: "offers", "aria-labelledby": "offers-h" }),
    h("h2", { id: "queue-h", text: t("queue") }),
    h("div", { class: "toolbar" }, h("label", { for: "queue-filter", text: t("show") }), filter,
      h("label", { for: "queue-tier", text: t("tier") }), tiers),
    h("ul", { class: "queue", id: "queue", "aria-labelledby": "queue-h" }),
    h("p", { class: "meta shortcuts", text: t("shortcuts") }));
  const pane = h("section", { class: "pane", id: "pane", "aria-label": t("conversation") },
    h("p", { class: "meta", text: t("pick_a_ticket") }));
  main.className = "desk";
  fill(main, side, pane);
  s.pane = pane;
  s.live = live;
  connect();
  refresh();
  loadOffers();
  s.tick = setInterval(() => { if (state === s) tickDue(); }, 30000);
  openFromHash();
}

// /console#ticket-42 opens ticket 42 (links from the editors' promoted drafts, bookmarks)
function openFromHash() {
  const m = /^#ticket-(\d+)$/.exec(location.hash);
  if (m && state) openTicket(Number(m[1]));
}
window.addEventListener("hashchange", openFromHash);

function setLive(text, cls) { if (state) { state.live.textContent = text; state.live.className = `meta ${cls || ""}`; } }

async function loadOffers() {
  const s = state;
  try {
    const list = await api("/v1/agent/offers");
    if (state !== s) return;
    s.offers = new Map(list.map((o) => [o.id, o]));
    drawOffers();
  } catch { /* shown by the connection line */ }
}

async function refresh() {
  const s = state;
  if (!s) return;
  const query = new URLSearchParams({ sort: "deadline", limit: "100" });
  if (s.tier) query.set("tier", s.tier);
  if (s.filter === "queued") query.set("status", "queued");
  let items;
  try {
    items = s.filter === "mine" ? await api("/v1/agent/tickets/mine") : (await api(`/v1/agent/tickets?${query}`)).items;
  } catch { return; }
  if (state !== s) return;
  if (s.filter === "needs_lead") items = items.filter((x) => x.needs_lead);
  if (s.filter === "mine" && s.tier) items = items.filter((x) => x.tier === s.tier);
  s.tickets = items;
  drawQueue();
}

function drawQueue() {
  const s = state;
  const list = document.getElementById("queue");
  if (!list) return;
  const open = s.view?.ticketId;
  if (!s.tickets.length) { fill(list, h("li", { class: "meta empty", text: t("queue_empty") })); return; }
  fill(list, ...s.tickets.map((x) => h("li", {},
    h("button", { class: "open", type: "button", "aria-current": open === x.id ? "true" : null,
      onclick: () => openTicket(x.id) },
      h("strong", { text: `#${x.id} ` }), x.subject || t("no_text"), h("br"),
      h("span", { class: "meta", text: `${t(`channel_${x.channel}`)} · ${x.tier} · ${t(`priority_${x.priority}`)} · ${x.language || "?"} · ${t(`status_${x.status}`)} ` }),
      x.needs_lead ? h("span", { class: "due amber", text: t("needs_lead") }) : null, due(x)))));
}

function tickDue() {
  for (const node of document.querySelectorAll("[data-due]")) {
    const fresh = due({ due_at: node.dataset.due, status: "queued" });
    if (fresh) node.replaceWith(fresh);
  }
}

function scheduleRefresh() { const s = state; clearTimeout(s.refreshTimer); s.refreshTimer = setTimeout(refresh, 250); }

function drawOffers() {
  const s = state;
  const list = document.getElementById("offers");
  if (!list) return;
  const status = h("p", { class: "error", role: "alert" });
  if (!s.offers.size) { fill(list, h("li", { class: "meta empty", text: t("no_offers") })); return; }
  fill(list, ...[...s.offers.values()].map((o) => h("li", { "data-testid": "offer" },
    h("strong", { text: `#${o.ticket_id} ` }), o.ticket.subject || "", h("br"),
    h("span", { class: "meta", text: `${t(`channel_${o.ticket.channel}`)} · ${o.ticket.tier} · ${o.ticket.language || "?"} · ${t(`priority_${o.ticket.priority}`)}` }),
    h("div", { class: "actions" },
      action(t("accept"), async () => {
        try { await api(`/v1/agent/offers/${o.id}/accept`, { method: "POST" }); }
        finally { s.offers.delete(o.id); drawOffers(); }
        openTicket(o.ticket_id);
      }, status),
      action(t("decline"), async () => {
        await api(`/v1/agent/offers/${o.id}/decline`, { method: "POST", body: {} });
        s.offers.delete(o.id); drawOffers();
      }, status, { class: "quiet" })), status)));
}

export function openTicket(id) {
  const s = state;
  if (!s) return;
  if (s.view && s.view.ticketId !== id) { send({ type: "unview", ticket_id: s.view.ticketId }); s.view.close(); }
  if (!s.view || s.view.ticketId !== id) {
    s.view = conversation(s.pane, id, { session: s.session, send, refresh: scheduleRefresh, openTicket, close: closeTicket });
    send({ type: "view", ticket_id: id });
  } else s.view.reload();
  drawQueue();
}

function closeTicket() {
  const s = state;
  if (!s || !s.view) return;
  send({ type: "unview", ticket_id: s.view.ticketId });
  s.view.close();
  s.view = null;
  fill(s.pane, h("p", { class: "meta", text: t("pick_a_ticket") }));
  scheduleRefresh();
}

function send(frame) { const ws = state?.ws; if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame)); }

function connect() {
  const s = state;
  const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/v1/agent/ws`);
  s.ws = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: "auth", token: s.session.token })); // never in the URL
    s.retries = 0;
    setLive(t("live"), "ok");
    // whatever happened while the connection was away: read it again
    if (s.view) { send({ type: "view", ticket_id: s.view.ticketId }); s.view.reconnected(); }
    refresh();
    loadOffers();
  };
  ws.onmessage = (ev) => {
    if (state !== s) return;
    let f; try { f = JSON.parse(ev.data); } catch { return; }
    if (f.type === "offer") { s.offers.set(f.offer.id, f.offer); drawOffers(); }
    else if (f.type === "offer_closed") { s.offers.delete(f.offer_id); drawOffers(); }
    else if (f.type === "ticket") { scheduleRefresh(); s.view?.frame(f); }
    else if (["message", "note", "viewers", "typing", "email"].includes(f.type)) s.view?.frame(f);
    else if (f.type === "revoked") reloadMe();
  };
  ws.onclose = (ev) => {
    if (state !== s) return;
    s.ws = null;
    if (ev.code === 4401) { s.logout(); return; }
    setLive(navigator.onLine === false ? t("offline_desk") : t("reconnecting"), "warn");
    const wait = Math.min(10000, 1000 * 2 ** s.retries++);
    setTimeout(() => { if (state === s && !s.ws) connect(); }, wait);
  };
}

async function reloadMe() {
  // the agent's role or tier changed: their sockets were closed; read who they are now
  const s = state;
  try {
    const me = await api("/v1/agent/me");
    s.session.agent = me;
    s.saveSession();
    location.reload();
  } catch (e) { if (!(e instanceof ApiError)) setLive(t("reconnecting"), "warn"); }
}

window.addEventListener("online", () => {
  const s = state;
  if (!s) return;
  if (!s.ws) connect();
  s.view?.reconnected(); // replies waiting in the outbox go now
});
window.addEventListener("offline", () => { if (state) setLive(t("offline_desk"), "warn"); });

document.addEventListener("keydown", async (ev) => {
  const s = state;
  if (!s || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName)) return;
  if (ev.key === "n") {
    ev.preventDefault();
    try { const x = await api("/v1/agent/tickets/next", { method: "POST" }); if (x) openTicket(x.id); }
    catch (e) { setLive(messageOf(e), "warn"); }
  } else if (s.view && s.view.shortcut(ev.key)) ev.preventDefault();
  else if (ev.key === "?") { ev.preventDefault(); document.querySelector(".shortcuts")?.scrollIntoView(); setLive(t("shortcuts"), ""); }
});
