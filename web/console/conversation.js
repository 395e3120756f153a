// One ticket: transcript (with replies still on their way), who else is viewing or typing, the
// warning when the customer or a colleague wrote meanwhile, reply with canned responses, copilot
// suggestions and KB search one click away, internal notes, claim / release / escalate /
// de-escalate / resolve / reopen / suggest an article, and the customer's whole story.
//
// Replies go through an outbox kept in sessionStorage: each has its own client_msg_id, is shown
// at once as "sending", and is resent (in order) after a lost connection until the api has it;
// the api stores a resent reply once, so nothing is lost or doubled.

import { due } from "./desk.js";
import { ApiError, action, api, download, h, messageOf, safeLink, t, uid, when, fill } from "./lib.js";

const TIERS = ["L1", "L2", "L3"];
const FLAG_REASONS = ["incorrect", "incomplete", "outdated", "wrong_language", "other"];

export function conversation(pane, ticketId, ctx) {
  const me = ctx.session.agent;
  const outboxKey = `tierzero.outbox.${me.id}.${ticketId}`;
  let outbox = readOutbox();
  let detail = null;
  let mails = []; // the conversation's email, in and out, with where each outgoing one is
  let closed = false;
  let flushing = false;
  let retryTimer = null;
  let reloadTimer = null;
  let typingSent = 0;
  let typingShown = new Map(); // who → timer
  let draftStartSeq = null; // the last message seen when the agent began this draft

  // --- the parts that stay while the ticket is open (drafts and focus survive updates) -------
  const title = h("h2", { tabindex: "-1" });
  const meta = h("p", { class: "meta" });
  const viewers = h("p", { class: "meta viewers", role: "status" });
  const typing = h("p", { class: "meta typing", "aria-live": "polite" });
  const transcript = h("ol", { class: "transcript", "aria-label": t("transcript") });
  const warning = h("div", { class: "collision", role: "alert" });
  const status = h("p", { class: "error", role: "alert" });
  const reply = h("textarea", { id: "reply", "aria-label": t("reply_to_customer"), maxlength: "10000" });
  const note = h("textarea", { id: "note", "aria-label": t("note_label"), maxlength: "10000", placeholder: t("note_label") });
  const replyActions = h("div", { class: "actions" });
  const noteActions = h("div", { class: "actions" });
  const canned = h("select", { id: "canned" }, h("option", { value: "", text: t("canned_pick") }));
  const search = h("input", { id: "kb-search", type: "search", maxlength: "500", autocomplete: "off" });
  const found = h("div", { class: "found", "aria-live": "polite" });
  const suggestions = h("div", { class: "panel" }, h("h3", { text: t("suggested_answers") }));
  const story = h("div", { class: "panel customer" }, h("h3", { text: t("customer") }));
  const packet = h("div", { class: "panel" });
  const notes = h("div", { class: "panel notes-panel" });
  const history = h("details", { class: "panel" });

  reply.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); sendReply(); }
  });
  // Escape leaves a text field, so the one-key shortcuts work again
  for (const box of [reply, note, search]) {
    box.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { ev.preventDefault(); title.focus(); } });
  }
  reply.addEventListener("input", () => {
    if (!reply.value.trim()) { draftStartSeq = null; return; }
    if (draftStartSeq == null) draftStartSeq = lastSeq();
    const now = Date.now();
    if (detail && detail.assignee_id === me.id && now - typingSent > 3000) {
      typingSent = now;
      ctx.send({ type: "typing", ticket_id: ticketId });
    }
  });
  search.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); searchKb(); } });

  fill(pane, h("p", { class: "meta", text: t("loading") }));
  load(true);
  api(`/v1/agent/canned`).then((list) => {
    canned.append(...list.map((c) => h("option", { value: c.id, text: `${c.title} (${c.language})` })));
  }).catch(() => {});

  // --- loading and drawing -------------------------------------------------------------------
  async function load(first = false) {
    let fresh;
    try {
      [fresh, mails] = await Promise.all([api(`/v1/agent/tickets/${ticketId}`),
        api(`/v1/agent/tickets/${ticketId}/emails`).catch(() => mails)]);
    }
    catch (e) {
      if (closed) return;
      if (first) fill(pane, h("p", { class: "error", role: "alert", text: messageOf(e) }));
      else status.textContent = messageOf(e);
      return;
    }
    if (closed) return;
    const before = detail;
    detail = fresh;
    if (first) build();
    draw(before);
    if (first) { loadSuggestions(); loadStory(); flush(); title.focus({ preventScroll: true }); }
  }

  function build() {
    fill(pane, title, meta, viewers, typing,
      h("div", { class: "columns" },
        h("div", {},
          transcript, warning,
          h("div", { class: "toolbar" },
            h("label", { for: "canned", text: t("canned") }), canned,
            h("button", { type: "button", class: "quiet", text: t("insert"), onclick: insertCanned }),
            h("label", { for: "kb-search", text: t("search_kb") }), search,
            h("button", { type: "button", class: "quiet", text: t("search"), onclick: searchKb })),
          found,
          h("label", { for: "reply", class: "visually-hidden", text: t("reply") }), reply,
          replyActions,
          h("label", { for: "note", class: "visually-hidden", text: t("note_label") }), note,
          noteActions, status),
        h("div", {}, suggestions, story, packet, notes, history)));
  }

  function draw(before) {
    const d = detail;
    const mine = d.assignee_id === me.id;
    title.textContent = `#${d.id} · ${d.subject || t("no_text")}`;
    fill(meta, `${t(`channel_${d.channel}`)} · ${t(`status_${d.status}`)} · ${d.tier} · ${t(`priority_${d.priority}`)} · ${t("reason")}: ${t(`reason_${d.handoff_reason}`)} `,
      d.end_reason ? `· ${t("ended")}: ${t(`end_${d.end_reason}`)} ` : "", due(d));
    drawTranscript();
    // someone wrote while the agent was writing: say so before they send
    if (before && reply.value.trim() && draftStartSeq != null) {
      const newer = d.transcript.filter((m) => m.seq > draftStartSeq && (m.sender === "customer" || (m.sender === "agent" && m.agent_id !== me.id)));
      if (newer.length) showCollision(newer, false);
    }
    const act = (label, fn, cls) => action(label, fn, status, cls ? { class: cls } : {});
    const tierIndex = TIERS.indexOf(d.tier);
    const open = !["resolved", "closed", "cancelled"].includes(d.status);
    const lead = me.role === "lead" || me.role === "admin";
    fill(replyActions, 
      d.status === "queued" ? act(t("claim"), () => change("claim", {})) : null,
      mine && open ? act(t("send_reply"), sendReply) : null,
      mine && open ? act(t("resolve"), () => change("resolve", {}), "quiet") : null,
      mine && open ? act(t("release"), () => change("release", {}), "quiet") : null,
      lead && d.status === "queued" ? act(t("return_to_bot"), () => change("return-to-bot", { note: note.value.trim() || null }), "quiet") : null,
      !open && d.status === "resolved" ? act(t("reopen"), () => change("reopen", {}), "quiet") : null,
      !open && d.status === "resolved" ? act(t("promote"), promote, "quiet") : null);
    reply.disabled = !(mine && open);
    reply.placeholder = mine && open ? t("reply_placeholder") : d.status === "queued" ? t("claim_to_reply") : "";
    fill(noteActions, 
      act(t("add_note"), async () => {
        const text = note.value.trim();
        if (!text) throw new ApiError(422, { detail: t("note_needed") });
        await api(`/v1/agent/tickets/${ticketId}/notes`, { method: "POST", body: { text } });
        note.value = ""; load();
      }, "quiet"),
      open && tierIndex < 2 && (mine || d.status === "queued") ? act(t("escalate_to", { tier: TIERS[tierIndex + 1] }), () => tierChange("escalate"), "quiet") : null,
      open && tierIndex > 0 && (mine || d.status === "queued") ? act(t("de_escalate_to", { tier: TIERS[tierIndex - 1] }), () => tierChange("de-escalate"), "quiet") : null);
    drawPacket();
    drawNotes();
    drawHistory();
  }

  function senderName(m) {
    if (m.sender === "customer") return detail.customer.name || t("customer");
    if (m.sender === "agent") return m.payload?.agent_name || t("agent");
    if (m.sender === "bot") return t("bot");
    return t("system");
  }

  // an agent marks a wrong bot answer; it goes to the editors' queue with this conversation
  const flaggedSeqs = new Set();
  const flagControls = new Map();
  function flagControl(m) {
    if (flaggedSeqs.has(m.seq)) return h("span", { class: "meta", role: "status", text: t("flagged") });
    // the same element across redraws of the transcript: an open form keeps what was typed
    if (!flagControls.has(m.seq)) flagControls.set(m.seq, newFlagControl(m));
    return flagControls.get(m.seq);
  }

  function newFlagControl(m) {
    const reason = h("select", { "aria-label": t("flag_reason") },
      FLAG_REASONS.map((r) => h("option", { value: r, text: t(`flag_${r}`) })));
    const note = h("input", { maxlength: "1000", placeholder: t("flag_note"), "aria-label": t("flag_note") });
    const result = h("span", { class: "meta", role: "status" });
    const box = h("details", { class: "flag" }, h("summary", { text: t("flag_answer") }),
      h("form", { onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await api(`/v1/agent/tickets/${ticketId}/flags`, { method: "POST", body: { seq: m.seq, reason: reason.value, note: note.value } });
          flaggedSeqs.add(m.seq);  // kept across redraws of the transcript
          box.replaceWith(h("span", { class: "meta", role: "status", text: t("flagged") }));
        } catch (e) { result.textContent = messageOf(e); }
      } }, reason, " ", note, " ", h("button", { type: "submit", class: "quiet", text: t("flag_send") })), result);
    return box;
  }

  function lastSeq() { return detail ? Math.max(0, ...detail.transcript.map((m) => m.seq)) : 0; }

  function drawTranscript() {
    const stored = new Set(detail.transcript.map((m) => m.client_msg_id).filter(Boolean));
    const before = outbox.length;
    outbox = outbox.filter((o) => !stored.has(o.id));
    if (outbox.length !== before) writeOutbox();
    const atEnd = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
    fill(transcript, 
      ...detail.transcript.map((m) => h("li", { class: m.sender, "data-seq": m.seq },
        h("span", { class: "who", text: `${senderName(m)} · ${when(m.created_at)}` }), m.text,
        m.payload?.url ? h("span", { class: "meta" }, " ", safeLink(m.payload.url, t("article_link"))) : null,
        m.payload?.attachments ? attachmentList(m.payload.attachments) : null,
        mailState(m),
        m.sender === "bot" && m.payload?.kind === "answer" ? flagControl(m) : null)),
      ...outbox.map((o) => h("li", { class: "agent pending", "data-pending": o.id },
        h("span", { class: "who", text: `${me.name} · ${o.failed ? t("waiting_for_connection") : t("sending")}` }), o.text)));
    if (atEnd) transcript.scrollTop = transcript.scrollHeight;
  }

  // --- email: what each message became as mail, and the customer's files ----------------------
  function mailState(m) {
    if (m.sender === "customer") {
      const got = mails.find((e) => e.direction === "in" && e.message_seq === m.seq);
      if (!got) return null;
      const whole = got.text && got.text.trim() !== m.text.trim()  // what the customer quoted or signed
        ? h("details", { class: "whole-mail" }, h("summary", { text: t("whole_mail") }), h("pre", { text: got.text }))
        : null;
      return h("span", { class: "meta mail" }, `✉ ${t("mail_from", { address: got.from_address })}${got.subject ? ` · ${got.subject}` : ""}`, whole);
    }
    const sent = mails.filter((e) => e.direction === "out" && e.message_seq === m.seq);
    return sent.length ? h("span", { class: "meta mail" }, ...sent.map(deliveryLine)) : null;
  }

  function deliveryLine(e) {
    const to = { address: e.to_address };
    if (e.status === "sent") return h("span", { class: "delivery sent", role: "status", text: `✉ ${t("mail_sent", { ...to, when: when(e.sent_at) })} ` });
    if (e.status === "bounced") return h("span", { class: "delivery failed due red", role: "status", text: `✉ ${t("mail_bounced", to)} (${e.reason || ""}) ` });
    const failed = e.status === "failed";
    if (!failed && (e.status === "sending" || !e.reason)) return h("span", { class: "delivery queued", role: "status", text: `✉ ${t("mail_queued", to)} ` });
    const text = failed ? t("mail_failed", to) : t("mail_waiting", { ...to, n: e.attempts, when: when(e.next_attempt_at) });
    return h("span", { class: `delivery ${failed ? "failed due red" : "waiting due amber"}`, role: "status" },
      `✉ ${text}${e.reason ? ` (${e.reason})` : ""} `,
      action(t("mail_retry"), async () => {
        await api(`/v1/agent/tickets/${ticketId}/emails/${e.id}/retry`, { method: "POST" });
        await load();
      }, status, { class: "quiet" }));
  }

  function attachmentList(files) {
    return h("ul", { class: "attachments", "aria-label": t("attachments") }, files.map((f) => h("li", {},
      f.kept
        ? h("button", { type: "button", class: "link", text: `📎 ${f.filename} (${size(f.size)})`, onclick: () => save(f) })
        : h("span", { class: "meta", text: `📎 ${f.filename} (${size(f.size)}) · ${t("attachment_not_kept")}` }))));
  }

  function size(bytes) {
    return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
  }

  async function save(file) {
    try { await download(`/v1/agent/tickets/${ticketId}/attachments/${file.id}`, file.filename); }
    catch (e) { status.textContent = messageOf(e); }
  }

  function drawPacket() {
    const d = detail, p = d.packet || {};
    fill(packet, h("h3", { text: t("handoff") }),
      h("dl", {},
        h("dt", { text: t("reason") }), h("dd", { text: t(`reason_${d.handoff_reason}`) }),
        h("dt", { text: t("channel") }), h("dd", { text: t(`channel_${d.channel}`) }),
        h("dt", { text: t("language_script") }), h("dd", { text: `${d.language || "?"}${p.script ? ` (${p.script})` : ""}` }),
        h("dt", { text: t("topic") }), h("dd", { text: d.topic || "—" }),
        h("dt", { text: t("page") }), h("dd", {}, p.page_url ? safeLink(p.page_url) : "—")),
      d.bot_attempts.length ? h("h3", { text: t("bot_tried") }) : null,
      d.bot_attempts.length ? h("ul", {}, d.bot_attempts.map((a) => h("li", { text: `${a.title || `#${a.article_id}`} (${Math.round((a.confidence || 0) * 100)} %)${a.helpful === false ? ` · ${t("not_helpful")}` : ""}` }))) : null);
  }

  function drawNotes() {
    fill(notes, h("h3", { text: t("notes") }),
      detail.notes.length
        ? h("ol", { class: "transcript notes", "aria-label": t("internal_notes") }, detail.notes.map((n) => h("li", {},
          h("span", { class: "who", text: `${n.data.agent_name || n.actor} · ${when(n.created_at)}${n.kind !== "note" ? ` · ${t(`event_${n.kind}`)}` : ""}` }),
          n.data.text || n.data.note || n.reason || "")))
        : h("p", { class: "meta", text: t("no_notes") }));
  }

  function drawHistory() {
    fill(history, h("summary", { text: t("history", { n: detail.events.length }) }),
      h("ol", { class: "events" }, detail.events.map((e) => h("li", { text: `${when(e.created_at)} · ${t(`event_${e.kind}`)}${e.from_status && e.to_status ? ` (${t(`status_${e.from_status}`)} → ${t(`status_${e.to_status}`)})` : ""}${e.reason ? ` · ${e.reason}` : ""}` }))));
  }

  async function loadSuggestions() {
    let list;
    try { list = await api(`/v1/agent/tickets/${ticketId}/suggestions`); } catch { return; }
    if (closed) return;
    fill(suggestions, h("h3", { text: t("suggested_answers") }),
      ...(list.length ? list.map((s) => articleCard(s)) : [h("p", { class: "meta", text: t("no_suggestions") })]));
  }

  function articleCard(s) {
    return h("div", { class: "suggestion" },
      h("strong", { text: s.title }), h("span", { class: "meta", text: ` ${Math.round(s.confidence * 100)} % · ${s.language}` }),
      h("p", { text: s.answer }),
      h("div", { class: "actions" },
        h("button", { class: "quiet", type: "button", text: t("insert"), "aria-label": `${t("insert")}: ${s.title}`,
          onclick: () => insert(s.answer) }), safeLink(s.url, t("article_link"))));
  }

  async function searchKb() {
    const q = search.value.trim();
    if (!q) return;
    fill(found, h("p", { class: "meta", text: t("searching") }));
    try {
      const list = await api(`/v1/agent/tickets/${ticketId}/suggestions?q=${encodeURIComponent(q)}`);
      fill(found, h("h3", { class: "visually-hidden", text: t("search_results") }),
        ...(list.length ? list.map((s) => articleCard(s)) : [h("p", { class: "meta", text: t("no_results") })]));
    } catch (e) { fill(found, h("p", { class: "error", text: messageOf(e) })); }
  }

  async function insertCanned() {
    if (!canned.value) return;
    try {
      const filled = await api(`/v1/agent/tickets/${ticketId}/canned/${canned.value}`);
      insert(filled.text);
    } catch (e) { status.textContent = messageOf(e); }
  }

  function insert(text) {
    if (reply.disabled) { status.textContent = t("claim_to_reply"); return; }
    const start = reply.selectionStart ?? reply.value.length, end = reply.selectionEnd ?? reply.value.length;
    reply.value = reply.value.slice(0, start) + text + reply.value.slice(end);
    if (draftStartSeq == null) draftStartSeq = lastSeq();
    reply.focus();
  }

  async function loadStory() {
    let s;
    try { s = await api(`/v1/agent/customers/${detail.customer_id}`); } catch { return; }
    if (closed) return;
    const c = s.customer, e = s.entitlement || {};
    const rated = s.tickets.filter((x) => x.csat_score != null);
    const elsewhere = s.open_tickets.filter((x) => x.id !== ticketId);
    const byChannel = {};
    for (const conv of s.conversations) byChannel[conv.channel] = (byChannel[conv.channel] || 0) + 1;
    fill(story, h("h3", { text: t("customer") }),
      h("p", {}, h("strong", { text: c.name || c.email || t("anonymous") }), c.external_id ? h("span", { class: "badge", text: t("verified") }) : null),
      h("dl", {},
        h("dt", { text: t("email") }), h("dd", { text: c.email || "—" }),
        h("dt", { text: t("plan") }), h("dd", { text: `${e.plan || c.plan}${e.live_support === false ? ` · ${t("no_live_support")}` : ""}` }),
        h("dt", { text: t("language") }), h("dd", { text: c.language || "?" }),
        h("dt", { text: t("conversations") }), h("dd", { text: Object.entries(byChannel).map(([k, v]) => `${v} ${t(`channel_${k}`)}`).join(", ") || "0" }),
        h("dt", { text: t("csat") }), h("dd", { text: rated.length ? `${(rated.reduce((a, x) => a + x.csat_score, 0) / rated.length).toFixed(1)} / 5 (${rated.length})` : "—" })),
      elsewhere.length ? h("p", { class: "due amber", text: t("open_elsewhere", { n: elsewhere.length }) }) : null,
      h("h4", { text: t("tickets") }),
      s.tickets.length ? null : h("p", { class: "meta", text: t("no_tickets") }),
      h("ul", { class: "story" }, s.tickets.slice(0, 8).map((x) => h("li", {},
        x.id === ticketId ? h("strong", { text: `#${x.id} ` }) : h("button", { type: "button", class: "link", text: `#${x.id}`, onclick: () => ctx.openTicket(x.id) }),
        ` ${x.subject || ""} · ${t(`status_${x.status}`)}${x.end_reason ? ` (${t(`end_${x.end_reason}`)})` : ""}${x.csat_score != null ? ` · ★${x.csat_score}` : ""}`))));
  }

  // --- replies: the outbox --------------------------------------------------------------------
  function readOutbox() { try { return JSON.parse(sessionStorage.getItem(outboxKey)) || []; } catch { return []; } }
  function writeOutbox() {
    if (outbox.length) sessionStorage.setItem(outboxKey, JSON.stringify(outbox)); else sessionStorage.removeItem(outboxKey);
  }

  function sendReply() {
    const text = reply.value.trim();
    if (!text || reply.disabled) return;
    outbox.push({ id: uid(), text, seen: draftStartSeq ?? lastSeq() });
    writeOutbox();
    reply.value = "";
    draftStartSeq = null;
    fill(warning, );
    drawTranscript();
    flush();
  }

  async function flush() {
    if (flushing || closed) return;
    flushing = true;
    clearTimeout(retryTimer);
    try {
      while (outbox.length && !closed) {
        const item = outbox[0];
        try {
          await api(`/v1/agent/tickets/${ticketId}/messages`, { method: "POST",
            body: { text: item.text, last_seen_seq: item.seen, client_msg_id: item.id } });
          outbox.shift();
        } catch (e) {
          if (!(e instanceof ApiError)) { // no answer: keep it and try again
            item.failed = true;
            writeOutbox(); drawTranscript();
            retryTimer = setTimeout(flush, 3000);
            return;
          }
          outbox.shift(); // refused: the text goes back to the reply box, with the reason
          reply.value = reply.value ? `${item.text}\n${reply.value}` : item.text;
          draftStartSeq = lastSeq();
          if (e.status === 409 && e.data.messages) showCollision(e.data.messages, true);
          else status.textContent = messageOf(e);
        }
        writeOutbox();
      }
    } finally { flushing = false; }
    if (!closed) { load(); ctx.refresh(); } // the first reply moves the deadline in the queue too
  }

  function showCollision(messages, refused) {
    fill(warning, h("div", { class: "panel warn" },
      h("strong", { text: refused ? t("collision_refused") : t("collision_meanwhile") }),
      h("ul", {}, messages.map((m) => h("li", { text: `${senderName(m)}: ${m.text}` })))));
  }

  // --- actions --------------------------------------------------------------------------------
  async function change(path, body) {
    await api(`/v1/agent/tickets/${ticketId}/${path}`, { method: "POST", body: { ...body, expected_version: detail.version } });
    await afterChange();
  }

  // the queue, the customer's story and the header all show the new state; focus stays here
  async function afterChange() {
    ctx.refresh();
    await load();
    loadStory();
    title.focus();
  }

  async function tierChange(path) {
    const text = note.value.trim();
    if (!text) { note.focus(); throw new ApiError(422, { detail: t("note_for_tier") }); }
    await api(`/v1/agent/tickets/${ticketId}/${path}`, { method: "POST", body: { note: text, expected_version: detail.version } });
    note.value = "";
    await afterChange();
  }

  async function promote() {
    const made = await api(`/v1/agent/tickets/${ticketId}/promote`, { method: "POST", body: {} });
    status.textContent = "";
    status.append(h("span", { class: "ok", text: t("promoted", { key: made.key }) }));
  }

  // --- live frames from the desk ----------------------------------------------------------------
  function scheduleLoad() { clearTimeout(reloadTimer); reloadTimer = setTimeout(() => { if (!closed) load(); }, 150); }

  function showTyping(key, text) {
    clearTimeout(typingShown.get(key));
    typingShown.set(key, setTimeout(() => { typingShown.delete(key); redrawTyping(); }, 5000));
    typing.dataset[key] = text;
    redrawTyping();
  }
  function redrawTyping() {
    typing.textContent = [...typingShown.keys()].map((k) => typing.dataset[k]).filter(Boolean).join(" · ");
  }

  return {
    ticketId,
    reload: () => load(),
    reconnected: () => { load(); flush(); },
    close: () => { closed = true; clearTimeout(retryTimer); clearTimeout(reloadTimer); typingShown.forEach(clearTimeout); },
    frame(f) {
      if (!detail) return;
      if (f.type === "ticket" && f.ticket.id === ticketId) {
        if (f.event && ["sla_warning", "sla_breached", "handling_warning"].includes(f.event.kind)) {
          status.textContent = t(`event_${f.event.kind}`);
        }
        scheduleLoad();
      } else if (f.type === "message" && f.conversation_id === detail.conversation_id) {
        typingShown.forEach(clearTimeout); typingShown.clear(); redrawTyping();
        scheduleLoad();
      } else if ((f.type === "note" || f.type === "email") && f.ticket_id === ticketId) scheduleLoad();
      else if (f.type === "viewers" && f.ticket_id === ticketId) {
        const others = f.agents.filter((a) => a.agent_id !== me.id).map((a) => a.name);
        viewers.textContent = others.length ? t("also_viewing", { names: others.join(", ") }) : "";
      } else if (f.type === "typing" && f.conversation_id === detail.conversation_id) {
        if (f.sender === "customer") showTyping("customer", t("customer_typing"));
        else if (f.agent_id !== me.id) showTyping(`a${f.agent_id}`, t("colleague_typing"));
      }
    },
    shortcut(key) {
      if (key === "r" && !reply.disabled) { reply.focus(); return true; }
      if (key === "e") { note.focus(); status.textContent = t("escalate_hint"); return true; }
      if (key === "d") {
        const button = [...replyActions.querySelectorAll("button")].find((b) => b.textContent === t("resolve"));
        if (button) { button.click(); return true; }
      }
      if (key === "/") { search.focus(); return true; }
      return false;
    },
  };
}
