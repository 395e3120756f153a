/*
 * TierZero chat panel: loaded by the launcher (widget.js) on the first click, inside the
 * launcher's shadow root, so the host page's styles cannot reach it and its styles cannot leak.
 * Everything users or agents wrote is rendered with textContent, never as HTML.
 */
import { strings } from "./strings.js";

export function mount(shadow, cfg) {
  "use strict";
  var API = cfg.api;
  var TITLE = cfg.title;
  var PAGE_LANGUAGE = cfg.language;
  var USER_ID = cfg.userId;
  var USER_HASH = cfg.userHash;
  var T = strings(PAGE_LANGUAGE);
  var STORE = "tierzero.widget." + API;
  var state = load() || { token: null };
  // a different (or no longer) logged-in customer on this browser starts their own chat
  if ((state.user || null) !== USER_ID) state = { token: null, user: USER_ID };
  var lastSeq = 0; // in memory: a new page replays the whole history, a reconnect only the gap
  var pending = {}; // client_msg_id -> frame, resent after a reconnect until acked
  var seen = {};
  var ws = null, retry = 0, root, log, input, statusEl, queueEl, queueText, queueLeave, typingTimer;
  var connection = "idle", limitedUntil = 0, starting = false;

  function load() { try { return JSON.parse(localStorage.getItem(STORE)); } catch (e) { return null; } }
  function save() { try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ } }
  function uid() { return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)); }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function safeUrl(url) {
    try { var u = new URL(url, API); return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null; } catch (e) { return null; }
  }

  // KB answers are Markdown. Render the small subset articles use (paragraphs, lists, **bold**,
  // [links](url), bare URLs) by building DOM nodes with textContent: no HTML string ever parsed.
  function inline(parent, text) {
    var re = /\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s)]+)/g, last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) parent.appendChild(el("strong", null, m[1]));
      else {
        var href = safeUrl(m[3] || m[4]);
        var a = el("a", null, m[2] || m[4]);
        if (href) { a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer"; }
        parent.appendChild(a);
      }
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }
  function markdown(text) {
    var box = el("div", "tz-md"), list = null;
    String(text).split(/\n/).forEach(function (line) {
      var item = /^\s*(?:[-*]|\d+[.)])\s+(.*)$/.exec(line);
      if (item) {
        if (!list) { list = el(/^\s*\d/.test(line) ? "ol" : "ul"); box.appendChild(list); }
        var li = el("li"); inline(li, item[1]); list.appendChild(li);
      } else if (line.trim()) {
        list = null; var p = el("p"); inline(p, line.trim()); box.appendChild(p);
      } else { list = null; }
    });
    return box;
  }

  function css() {
    var s = document.createElement("style");
    s.textContent = [
      ".tz-panel{position:fixed;inset-inline-end:20px;bottom:80px;z-index:2147483000;width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 110px);display:none;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);font:14px/1.4 system-ui,sans-serif;color:#1b1f24;overflow:hidden}",
      ".tz-panel.tz-open{display:flex}",
      ".tz-head{background:#2354d6;color:#fff;padding:12px 14px;font-weight:600;display:flex;gap:8px;align-items:center}",
      ".tz-head .tz-title{flex:1}",
      ".tz-close{border:0;background:transparent;color:#fff;font:600 18px/1 system-ui,sans-serif;cursor:pointer;padding:2px 6px;border-radius:6px}",
      ".tz-close:focus-visible,.tz-form input:focus-visible{outline:2px solid #1b1f24;outline-offset:2px}",
      "@media (max-width:480px){.tz-panel{inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}}",
      "@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}",
      ".tz-status{font-weight:400;font-size:12px;opacity:.85}",
      ".tz-log{flex:1;overflow-y:auto;padding:12px;background:#f5f7fb}",
      ".tz-msg{margin:6px 0;padding:8px 11px;border-radius:10px;max-width:85%;white-space:pre-wrap;word-wrap:break-word}",
      ".tz-customer{background:#2354d6;color:#fff;margin-inline-start:auto}",
      ".tz-bot,.tz-agent,.tz-system{background:#fff;border:1px solid #dde3ee}",
      ".tz-agent{border-color:#2e9b5d}",
      ".tz-who{display:block;font-size:11px;color:#5b6473;margin-bottom:2px}",
      ".tz-article{display:block;margin-top:6px;font-weight:600;color:#2354d6}",
      ".tz-note{display:block;margin-top:4px;font-size:12px;color:#5b6473}",
      ".tz-buttons{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 8px}",
      ".tz-buttons button{border:1px solid #2354d6;background:#fff;color:#2354d6;border-radius:14px;padding:4px 12px;cursor:pointer}",
      ".tz-form{display:flex;border-top:1px solid #dde3ee}",
      ".tz-form input{flex:1;border:0;padding:12px;font:inherit;outline:none}",
      ".tz-form button{border:0;background:#fff;color:#2354d6;font-weight:600;padding:0 14px;cursor:pointer}",
      ".tz-md p{margin:0 0 6px}.tz-md ol,.tz-md ul{margin:0 0 6px;padding-inline-start:20px}",
      ".tz-bot a,.tz-agent a{color:#2354d6}",
      ".tz-error{color:#b42318;font-size:12px;padding:0 12px 6px}",
      ".tz-queue{display:none;gap:8px;align-items:center;justify-content:space-between;padding:8px 12px;background:#fff8e1;border-top:1px solid #f0d98c;font-size:13px}",
      ".tz-queue.tz-waiting{display:flex}",
      ".tz-csat{margin:4px 0 8px}.tz-csat input{width:100%;box-sizing:border-box;border:1px solid #8c96a5;border-radius:8px;padding:6px;font:inherit}",
      "form.tz-csat{display:flex;gap:6px}form.tz-csat input{flex:1;width:auto}",
      "form.tz-csat button{min-width:44px;min-height:32px;border:1px solid #2354d6;background:#2354d6;color:#fff;border-radius:8px;font:600 14px system-ui,sans-serif;cursor:pointer}",
      ".tz-buttons button,.tz-queue button,.tz-form button{min-height:32px}",
      ".tz-buttons button[aria-pressed=true]{background:#2354d6;color:#fff}",
      ".tz-queue button{border:1px solid #8a6d00;background:#fff;color:#5c4800;border-radius:14px;padding:3px 10px;cursor:pointer;white-space:nowrap}",
      ".tz-queue button:focus-visible,.tz-buttons button:focus-visible,.tz-form button:focus-visible{outline:2px solid #1b1f24;outline-offset:2px}"
    ].join("\n");
    shadow.appendChild(s);
  }

  function build() {
    css();
    root = el("div", "tz-panel");
    root.setAttribute("role", "dialog");
    root.setAttribute("aria-label", TITLE);
    root.setAttribute("dir", "auto");
    var head = el("div", "tz-head");
    head.appendChild(el("span", "tz-title", TITLE));
    statusEl = el("span", "tz-status", "");
    statusEl.setAttribute("role", "status");
    head.appendChild(statusEl);
    var close = el("button", "tz-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", T.close);
    close.addEventListener("click", function () { hide(); });
    head.appendChild(close);
    log = el("div", "tz-log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("role", "log");
    var form = el("form", "tz-form");
    input = el("input");
    input.setAttribute("placeholder", T.placeholder);
    input.setAttribute("aria-label", T.message);
    input.setAttribute("maxlength", "4000");
    var send = el("button", null, T.send);
    send.type = "submit";
    form.appendChild(input);
    form.appendChild(send);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      sendText(text, null);
    });
    // While waiting for a person: place in the queue, estimated wait, and a way back to the bot.
    queueEl = el("div", "tz-queue");
    queueEl.setAttribute("role", "status");
    queueEl.setAttribute("data-testid", "tz-queue");
    queueText = el("span", null, "");
    queueLeave = el("button", null, T.leave);
    queueLeave.type = "button";
    queueLeave.setAttribute("data-testid", "tz-queue-leave");
    queueLeave.addEventListener("click", function () {
      transmit({ type: "cancel_waiting" });
      input.focus(); // the button goes away with the queue; the keyboard stays in the chat
    });
    queueEl.appendChild(queueText);
    queueEl.appendChild(queueLeave);
    root.appendChild(head);
    root.appendChild(log);
    root.appendChild(queueEl);
    root.appendChild(form);
    root.addEventListener("keydown", function (ev) { if (ev.key === "Escape") hide(); });
    shadow.appendChild(root);
    window.addEventListener("offline", function () { setStatus("offline"); });
    window.addEventListener("online", function () {
      if (ws && ws.readyState === 1) {
        setStatus("online");
        Object.keys(pending).forEach(function (id) { transmit(pending[id]); });
      } else if (!ws) {
        start();
      }
    });
  }

  // One line says where the chat stands: connecting, online, offline (the device), the server
  // unreachable (retrying), or too many messages (they are kept and sent in a moment).
  function setStatus(what) {
    connection = what;
    statusEl.textContent = T.status[what] || "";
  }

  function show() { root.classList.add("tz-open"); start(); input.focus(); }
  function hide() {
    root.classList.remove("tz-open");
    if (cfg.launcher) cfg.launcher.focus();
  }

  function render(frame) {
    if (seen[frame.seq]) return;
    seen[frame.seq] = true;
    var p = frame.payload || {};
    var box = el("div", "tz-msg tz-" + frame.sender);
    if (frame.sender === "agent") box.appendChild(el("span", "tz-who", p.agent_name || T.agent));
    // KB answers, and agents' replies (often an inserted KB answer), in the same safe subset
    if ((frame.sender === "bot" && p.kind === "answer") || frame.sender === "agent") box.appendChild(markdown(frame.text || ""));
    else box.appendChild(document.createTextNode(frame.text || ""));
    if (p.article && p.article.url) {
      var href = safeUrl(p.article.url);
      if (href) {
        var a = el("a", "tz-article", p.article.title || T.article);
        a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
        box.appendChild(a);
      }
    }
    if (p.note) box.appendChild(el("span", "tz-note", p.note));
    if (p.question) box.appendChild(el("span", "tz-note", p.question));
    box.setAttribute("data-seq", String(frame.seq));
    // keep seq order even if two neighbouring messages arrive swapped
    var later = null;
    log.querySelectorAll(".tz-msg[data-seq]").forEach(function (m) {
      if (!later && Number(m.getAttribute("data-seq")) > frame.seq) later = m;
    });
    log.insertBefore(box, later);
    if (frame.sender === "system" && p.csat && p.csat.ticket_id) log.insertBefore(csat(p.csat), box.nextSibling);
    // a person took the chat: the "leave your email" form has done its job
    if (p.kind === "agent_joined") log.querySelectorAll("[data-testid=tz-email]").forEach(function (f) { f.remove(); });
    if ((frame.sender === "bot" || frame.sender === "system") && p.follow_up && p.follow_up.ask_email) log.insertBefore(emailForm(p.follow_up), box.nextSibling);
    if (frame.sender !== "customer" && Array.isArray(p.buttons) && p.buttons.length) {
      var row = el("div", "tz-buttons");
      p.buttons.forEach(function (b) {
        var btn = el("button", null, String(b.title || ""));
        btn.type = "button";
        btn.addEventListener("click", function () {
          row.remove();
          var payload = String(b.payload || "");
          sendText(String(b.title || payload), payload.charAt(0) === "/" ? payload : null, payload.charAt(0) === "/" ? null : payload);
        });
        row.appendChild(btn);
      });
      log.insertBefore(row, box.nextSibling);
    }
    log.scrollTop = log.scrollHeight;
  }

  // The customer's verdict after a resolution: 1-5 as real buttons (keyboard, screen readers),
  // an optional comment, sent once; rating again replaces the first rating.
  function csat(prompt) {
    var box = el("div", "tz-csat");
    box.setAttribute("role", "group");
    box.setAttribute("data-testid", "tz-csat");
    var question = el("span", "tz-note", String(prompt.question || ""));
    question.id = "tz-csat-q-" + prompt.ticket_id;
    box.setAttribute("aria-labelledby", question.id);
    box.appendChild(question);
    var row = el("div", "tz-buttons"), comment = el("input");
    comment.setAttribute("aria-label", String(prompt.comment || "Comment"));
    comment.setAttribute("placeholder", String(prompt.comment || ""));
    comment.setAttribute("maxlength", "2000");
    (prompt.scale || [1, 2, 3, 4, 5]).forEach(function (score) {
      var b = el("button", null, String(score));
      b.type = "button";
      b.setAttribute("aria-label", String(score) + " / 5");
      b.addEventListener("click", function () {
        fetch(API + "/v1/widget/csat", {
          method: "POST",
          headers: { "Content-Type": "application/json", "Authorization": "Bearer " + state.token },
          body: JSON.stringify({ ticket_id: prompt.ticket_id, score: score, comment: comment.value.trim() || null })
        }).then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          row.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); });
        }).catch(function () { showError(T.rating_failed); });
      });
      row.appendChild(b);
    });
    box.appendChild(row);
    box.appendChild(comment);
    return box;
  }

  // Nobody can answer live: the customer may leave an email address for the answer.
  function emailForm(followUp) {
    var form = el("form", "tz-csat");
    form.setAttribute("data-testid", "tz-email");
    var input = el("input");
    input.type = "email";
    input.required = true;
    input.setAttribute("autocomplete", "email");
    input.setAttribute("aria-label", String(followUp.email_label || "Email"));
    input.setAttribute("placeholder", String(followUp.email_label || "Email"));
    var send = el("button", null, "OK");
    send.type = "submit";
    form.appendChild(input);
    form.appendChild(send);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      fetch(API + "/v1/widget/contact", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + state.token },
        body: JSON.stringify({ email: input.value.trim() })
      }).then(function (r) {
        if (!r.ok) return r.json().then(function (b) { throw new Error(b.detail || ("HTTP " + r.status)); });
        form.remove();
      }).catch(function (e) { showError(String(e.message || T.email_failed)); });
    });
    return form;
  }

  function showError(text) {
    var e = el("div", "tz-error", text);
    log.appendChild(e);
    log.scrollTop = log.scrollHeight;
  }

  function sendText(text, intent, asText) {
    var id = uid();
    var frame = { type: "message", client_msg_id: id, text: asText || text };
    if (intent) frame.payload = intent;
    pending[id] = frame;
    transmit(frame);
  }

  function transmit(frame) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }

  function start() {
    if (ws || starting) return;
    if (!state.token) {
      starting = true;
      setStatus("connecting");
      fetch(API + "/v1/widget/sessions", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ language: PAGE_LANGUAGE, page_url: location.href,
                               user_id: USER_ID, user_hash: USER_HASH })
      }).then(function (r) {
        if (r.status === 429) { setStatus("limited"); throw new Error("retry"); }
        if (r.status >= 400 && r.status < 500) {
          // refused (e.g. a signed-in identity that does not verify): say why, do not loop
          return r.json().then(function (b) { showError(String(b.detail || T.error)); setStatus("idle"); return null; });
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (s) { starting = false; if (s) { state.token = s.token; lastSeq = 0; save(); connect(); } })
        .catch(function () {
          starting = false;
          if (connection !== "limited") setStatus(navigator.onLine === false ? "offline" : "unreachable");
          setTimeout(start, connection === "limited" ? 10000 : 3000);
        });
    } else {
      connect();
    }
  }

  function connect() {
    // the token goes in the first frame, never in the URL (proxies log URLs)
    ws = new WebSocket(API.replace(/^http/, "ws") + "/v1/widget/ws?since=" + lastSeq);
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "auth", token: state.token }));
      retry = 0;
      setStatus("online");
      Object.keys(pending).forEach(function (id) { transmit(pending[id]); });
    };
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f.type === "message") {
        if (f.client_msg_id) delete pending[f.client_msg_id];
        render(f);
        // reconnect from the last seq with nothing missing before it
        while (seen[lastSeq + 1]) lastSeq++;
      } else if (f.type === "ack") {
        delete pending[f.client_msg_id];
      } else if (f.type === "error" && f.status === 429) {
        // not stored: keep it and send it again once the limit has passed
        setStatus("limited");
        limitedUntil = Date.now() + 5000;
        setTimeout(function () {
          if (Date.now() < limitedUntil) return;
          if (connection === "limited") setStatus("online");
          Object.keys(pending).forEach(function (id) { transmit(pending[id]); });
        }, 5100);
      } else if (f.type === "error") {
        if (f.client_msg_id) delete pending[f.client_msg_id];
        showError(f.detail || T.error);
      } else if (f.type === "queue") {
        var waiting = f.status === "queued" && f.position != null;
        queueEl.classList.toggle("tz-waiting", waiting);
        queueText.textContent = waiting ? String(f.text || "") : "";
        if (f.leave_label) queueLeave.textContent = String(f.leave_label);
        log.scrollTop = log.scrollHeight; // the panel took room: keep the newest line in view
      } else if (f.type === "typing" && f.sender === "agent") {
        statusEl.textContent = T.typing;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { setStatus(connection); }, 3000);
      }
    };
    ws.onclose = function (ev) {
      ws = null;
      if (ev.code === 4401) { // session gone: start a new conversation with a clean slate
        state.token = null; save();
        lastSeq = 0; seen = {}; pending = {}; log.textContent = "";
      }
      if (ev.code === 1009) showError(T.too_long);
      setStatus(navigator.onLine === false ? "offline" : "reconnecting");
      retry = Math.min(retry + 1, 6);
      setTimeout(start, 300 * Math.pow(2, retry));
    };
  }

  build();
  return { show: show, hide: hide, toggle: function () { if (root.classList.contains("tz-open")) hide(); else show(); } };
}
