// TierZero console for agents: log in, presence, the queue with live updates and SLA countdowns,
// offers to accept or decline, and a conversation view (transcript, bot attempts, notes, the
// customer's story, copilot suggestions one click from the reply box, reply, claim, escalate,
// resolve). Everything people wrote is set with textContent, never parsed as HTML.
// Keyboard: n = take the next ticket, r = reply box, Ctrl+Enter = send.

import { articles } from "./editor.js";
import { api, configure, h } from "./lib.js";

const app = document.getElementById("app");
const STORE = "tierzero.console";
let session = load();
let tickets = [];
let offers = new Map();
let current = null; // the open ticket's detail
let ws = null;
let refreshTimer = null;

function load() { try { return JSON.parse(sessionStorage.getItem(STORE)); } catch { return null; } }
function save() { sessionStorage.setItem(STORE, JSON.stringify(session)); }

// --- log in ---------------------------------------------------------------------------------
function loginScreen(message) {
  const email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert", text: message || "" });
  const form = h("form", { class: "login", onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const r = await fetch("/v1/agent/login", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: email.value.trim(), password: password.value }) });
      const body = await r.json();
      if (!r.ok) throw new Error(body.detail || "could not log in");
      session = { token: body.access_token, agent: body.agent };
      save();
      desk();
    } catch (e) { error.textContent = e.message; }
  } },
    h("h1", { text: "TierZero console" }),
    h("label", { for: "email", text: "Email" }), email,
    h("label", { for: "password", text: "Password" }), password,
    h("button", { type: "submit", text: "Log in" }), error);
  app.replaceChildren(h("main", { id: "main" }, form));
  email.focus();
}

function logout() {
  session = null; sessionStorage.removeItem(STORE);
  if (ws) { ws.onclose = null; ws.close(); ws = null; }
  loginScreen();
}

// --- the desk -------------------------------------------------------------------------------
function desk() {
  const presence = h("select", { id: "presence", onchange: async (ev) => {
    await api("/v1/agent/me/presence", { method: "PUT", body: { presence: ev.target.value } });
  } }, ["online", "away", "offline"].map((p) => h("option", { value: p, text: p })));
  presence.value = session.agent.presence || "offline";
  const bar = h("header", { class: "bar" },
    h("h1", { text: `TierZero · ${session.agent.name} (${session.agent.tier})` }),
    h("label", { for: "presence", text: "Presence" }), presence,
    h("button", { class: "quiet", type: "button", onclick: logout, text: "Log out" }));
  const side = h("nav", { class: "side", "aria-label": "Offers and queue" },
    h("h2", { id: "offers-h", text: "Offers" }), h("ul", { class: "offers", id: "offers", "aria-labelledby": "offers-h" }),
    h("h2", { id: "queue-h", text: "Queue" }), h("ul", { class: "queue", id: "queue", "aria-labelledby": "queue-h" }));
  const pane = h("section", { class: "pane", id: "pane", "aria-label": "Conversation" },
    h("p", { class: "meta", text: "Pick a ticket from the queue, or press n for the next one." }));
  const role = session.agent.role;
  const main = h("main", { class: "desk", id: "main", tabindex: "-1" });
  if (role === "editor" || role === "admin") {
    bar.insertBefore(h("button", { class: "quiet", type: "button", text: "Articles",
      onclick: () => articles(main) }), bar.children[1]);
  }
  if (role === "editor") {  // editors keep the KB; tickets are for agents, leads and admins
    app.replaceChildren(bar, main);
    articles(main);
    return;
  }
  main.append(side, pane);
  if (role === "admin") {
    bar.insertBefore(h("button", { class: "quiet", type: "button", text: "Desk",
      onclick: () => main.replaceChildren(side, pane) }), bar.children[1]);
  }
  app.replaceChildren(bar, main);
  connect();
  refresh();
  api("/v1/agent/offers").then((list) => { list.forEach((o) => offers.set(o.id, o)); drawOffers(); }).catch(() => {});
}

function due(ticket) {
  if (!ticket.due_at) return null;
  const minutes = Math.round((new Date(ticket.due_at) - Date.now()) / 60000);
  const cls = minutes < 0 ? "due red" : minutes < 5 ? "due amber" : "due";
  const text = minutes < 0 ? `overdue ${-minutes} min` : `due in ${minutes} min`;
  return h("span", { class: cls, text });
}

async function refresh() {
  try { tickets = (await api("/v1/agent/tickets?sort=deadline&limit=100")).items; } catch { return; }
  const list = document.getElementById("queue");
  if (!list) return;
  list.replaceChildren(...tickets.map((t) => h("li", {},
    h("button", { class: "open", type: "button", "aria-current": current && current.id === t.id ? "true" : null,
      onclick: () => open(t.id) },
      h("strong", { text: `#${t.id} ` }), t.subject || "(no text)", h("br"),
      h("span", { class: "meta", text: `${t.tier} · ${t.priority} · ${t.language || "?"} · ${t.status} ` }), due(t)))));
}

function scheduleRefresh() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 250); }

function drawOffers() {
  const list = document.getElementById("offers");
  if (!list) return;
  list.replaceChildren(...[...offers.values()].map((o) => h("li", { "data-testid": "offer" },
    h("strong", { text: `#${o.ticket_id} ` }), o.ticket.subject || "", h("br"),
    h("span", { class: "meta", text: `${o.ticket.tier} · ${o.ticket.language || "?"} · ${o.ticket.priority}` }),
    h("div", { class: "actions" },
      h("button", { type: "button", text: "Accept", onclick: async () => {
        await api(`/v1/agent/offers/${o.id}/accept`, { method: "POST" });
        offers.delete(o.id); drawOffers(); open(o.ticket_id);
      } }),
      h("button", { class: "quiet", type: "button", text: "Decline", onclick: async () => {
        await api(`/v1/agent/offers/${o.id}/decline`, { method: "POST", body: {} });
        offers.delete(o.id); drawOffers();
      } })))));
}

function connect() {
  ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/v1/agent/ws?token=${encodeURIComponent(session.token)}`);
  ws.onopen = () => { if (current) ws.send(JSON.stringify({ type: "view", ticket_id: current.id })); };
  ws.onmessage = (ev) => {
    let f; try { f = JSON.parse(ev.data); } catch { return; }
    if (f.type === "offer") { offers.set(f.offer.id, f.offer); drawOffers(); }
    else if (f.type === "offer_closed") { offers.delete(f.offer_id); drawOffers(); }
    else if (f.type === "ticket") { scheduleRefresh(); if (current && f.ticket.id === current.id) reopen(); }
    else if (f.type === "message" || f.type === "note") { if (current) reopen(); }
    else if (f.type === "revoked") logout();
  };
  ws.onclose = (ev) => {
    ws = null;
    if (ev.code === 4401) { logout(); return; }
    if (session) setTimeout(() => { if (session && !ws) { connect(); refresh(); } }, 1500);
  };
}

let reopenTimer = null;
function reopen() { clearTimeout(reopenTimer); reopenTimer = setTimeout(() => current && open(current.id, true), 200); }

// --- one conversation -----------------------------------------------------------------------
async function open(id, keepDraft = false) {
  const draft = keepDraft ? document.getElementById("reply")?.value || "" : "";
  let detail;
  try { detail = await api(`/v1/agent/tickets/${id}`); } catch (e) { return; }
  if (ws && ws.readyState === 1 && (!current || current.id !== id)) ws.send(JSON.stringify({ type: "view", ticket_id: id }));
  current = detail;
  const pane = document.getElementById("pane");
  const lastSeq = Math.max(0, ...detail.transcript.map((m) => m.seq));
  const reply = h("textarea", { id: "reply", "aria-label": "Reply to the customer", maxlength: "10000" });
  reply.value = draft;
  const note = h("textarea", { id: "note", "aria-label": "Internal note or escalation note", maxlength: "10000" });
  const status = h("p", { class: "error", role: "alert" });
  const act = (label, fn, cls) => h("button", { type: "button", class: cls, text: label, onclick: async () => {
    status.textContent = "";
    try { await fn(); } catch (e) { status.textContent = e.message; }
  } });
  const mine = detail.assignee_id === session.agent.id;
  const send = async () => {
    const text = reply.value.trim();
    if (!text) return;
    await api(`/v1/agent/tickets/${id}/messages`, { method: "POST", body: { text, last_seen_seq: lastSeq } });
    reply.value = ""; open(id);
  };
  reply.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); act("", send).click(); } });
  const suggestions = h("div", { class: "panel", "aria-labelledby": "copilot-h" }, h("h3", { id: "copilot-h", text: "Suggested answers" }));
  api(`/v1/agent/tickets/${id}/suggestions`).then((list) => {
    if (!list.length) suggestions.append(h("p", { class: "meta", text: "No article matches this conversation." }));
    list.forEach((s) => suggestions.append(h("div", { class: "suggestion" },
      h("strong", { text: s.title }), h("span", { class: "meta", text: ` ${Math.round(s.confidence * 100)} %` }),
      h("p", { text: s.answer }),
      h("button", { class: "quiet", type: "button", text: "Insert", "aria-label": `Insert: ${s.title}`,
        onclick: () => { reply.value = s.answer; reply.focus(); } }))));
  }).catch(() => {});
  const story = h("div", { class: "panel", "aria-labelledby": "customer-h" }, h("h3", { id: "customer-h", text: "Customer" }),
    h("p", { text: `${detail.customer.name || "Anonymous"} · plan ${detail.packet.plan || detail.customer.plan} · ${detail.customer.language || "?"}` }),
    h("p", { class: "meta", text: `${detail.earlier_tickets.length} earlier ticket(s)` }));
  pane.replaceChildren(
    h("h2", { text: `#${detail.id} · ${detail.subject || ""}` }),
    h("p", { class: "meta" }, `${detail.status} · ${detail.tier} · ${detail.priority} · reason ${detail.handoff_reason} `, due(detail)),
    h("div", { class: "columns" },
      h("div", {},
        h("ol", { class: "transcript", "aria-label": "Transcript" }, detail.transcript.map((m) => h("li", { class: m.sender },
          h("span", { class: "who", text: m.sender }), m.text))),
        detail.notes.length ? h("ol", { class: "transcript notes", "aria-label": "Internal notes" },
          detail.notes.map((n) => h("li", {}, h("span", { class: "who", text: "note" }), n.data.text || ""))) : null,
        h("label", { for: "reply", class: "visually-hidden", text: "Reply" }), reply,
        h("div", { class: "actions" },
          detail.status === "queued" ? act("Claim", async () => { await api(`/v1/agent/tickets/${id}/claim`, { method: "POST" }); open(id); }) : null,
          act("Send reply", send),
          mine ? act("Resolve", async () => { await api(`/v1/agent/tickets/${id}/resolve`, { method: "POST" }); open(id); }, "quiet") : null),
        note,
        h("div", { class: "actions" },
          act("Add note", async () => { await api(`/v1/agent/tickets/${id}/notes`, { method: "POST", body: { text: note.value } }); note.value = ""; open(id); }, "quiet"),
          act("Escalate", async () => { await api(`/v1/agent/tickets/${id}/escalate`, { method: "POST", body: { note: note.value } }); current = null; refresh(); }, "quiet")),
        status),
      h("div", {}, suggestions, story,
        detail.bot_attempts.length ? h("div", { class: "panel" }, h("h3", { text: "What the bot tried" }),
          h("ul", {}, detail.bot_attempts.map((a) => h("li", { text: `${a.title || a.article_id} (${Math.round((a.confidence || 0) * 100)} %)` })))) : null)));
  refresh();
}

document.addEventListener("keydown", async (ev) => {
  if (!session || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName)) return;
  if (ev.key === "n") {
    ev.preventDefault();
    try { const t = await api("/v1/agent/tickets/next", { method: "POST" }); if (t) open(t.id); } catch { /* nothing queued */ }
  } else if (ev.key === "r") { ev.preventDefault(); document.getElementById("reply")?.focus(); }
});
setInterval(() => { if (session && document.getElementById("queue")) refresh(); }, 30000);

configure(() => session?.token, () => logout());
if (session) desk(); else loginScreen();
