// TierZero console: one app, three roles. Agents (and leads, admins) work the desk; editors (and
// admins) keep the KB; leads and admins see the team, the plans and the figures. This module logs
// in, draws the bar (screens the role may open, language, presence) and switches screens.
// Everything people wrote is set with textContent, never parsed as HTML.

import { desk, leaveDesk } from "./desk.js";
import { questions, spikeAlerts } from "./content.js";
import { articles } from "./editor.js";
import { plans, reports, team } from "./lead.js";
import { LANGUAGES, api, configure, currentLanguage, h, messageOf, setLanguage, t, fill } from "./lib.js";

const app = document.getElementById("app");
const STORE = "tierzero.console";
let session = load();
let screen = null;

function load() { try { return JSON.parse(sessionStorage.getItem(STORE)); } catch { return null; } }
function save() { sessionStorage.setItem(STORE, JSON.stringify(session)); }

// which screens each role may open (the API checks again on every call)
const SCREENS = {
  desk: { label: "screen_desk", roles: ["agent", "lead", "admin"], draw: (main) => desk(main, session, logout, save) },
  articles: { label: "screen_articles", roles: ["editor", "admin"], draw: (main) => articles(main, session) },
  questions: { label: "screen_questions", roles: ["editor", "admin"], draw: (main) => questions(main) },
  team: { label: "screen_team", roles: ["lead", "admin"], draw: (main) => team(main, session) },
  plans: { label: "screen_plans", roles: ["lead", "admin"], draw: (main) => plans(main) },
  reports: { label: "screen_reports", roles: ["lead", "admin"], draw: (main) => reports(main) },
};

function languagePicker(onChange) {
  const pick = h("select", { id: "ui-language", onchange: (ev) => { setLanguage(ev.target.value); onChange(); } },
    LANGUAGES.map(([code, name]) => h("option", { value: code, lang: code, text: name })));
  pick.value = currentLanguage();
  return [h("label", { for: "ui-language", text: t("language") }), pick];
}

// --- log in ---------------------------------------------------------------------------------
function loginScreen(message) {
  document.title = t("console_title");
  localiseStatic();
  const email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert", text: message || "" });
  const form = h("form", { class: "login", onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const r = await fetch("/v1/agent/login", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: email.value.trim(), password: password.value }) });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : t("login_failed"));
      session = { token: body.access_token, agent: body.agent };
      save();
      shell();
    } catch (e) { error.textContent = e instanceof TypeError ? messageOf(e) : e.message; }
  } },
    h("h1", { text: t("console_title") }),
    h("label", { for: "email", text: t("email") }), email,
    h("label", { for: "password", text: t("password") }), password,
    h("button", { type: "submit", text: t("log_in") }), error,
    h("div", { class: "login-language" }, ...languagePicker(() => loginScreen())));
  fill(app, h("main", { id: "main" }, form));
  email.focus();
}

function logout() {
  leaveDesk();
  if (session) fetch("/v1/agent/logout", { method: "POST", headers: { Authorization: `Bearer ${session.token}` } }).catch(() => {});
  session = null;
  sessionStorage.removeItem(STORE);
  loginScreen();
}

// --- the shell ------------------------------------------------------------------------------
function localiseStatic() {
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = t("skip");
}

function shell(wanted) {
  localiseStatic();
  const role = session.agent.role;
  const allowed = Object.entries(SCREENS).filter(([, s]) => s.roles.includes(role)).map(([name]) => name);
  screen = allowed.includes(wanted) ? wanted : allowed.includes(screen) ? screen : allowed[0];
  document.title = `${t(SCREENS[screen].label)} · ${t("console_title")}`;
  const nav = h("nav", { class: "screens", "aria-label": t("screens") }, allowed.map((name) =>
    h("button", { type: "button", class: "quiet", "aria-current": name === screen ? "page" : null,
      text: t(SCREENS[name].label), onclick: () => shell(name) })));
  const bar = h("header", { class: "bar" },
    h("h1", { text: `TierZero · ${session.agent.name} (${role === "editor" ? t("role_editor") : session.agent.tier})` }),
    nav,
    ...languagePicker(() => shell(screen)),
    h("button", { class: "quiet", type: "button", onclick: logout, text: t("log_out") }));
  const main = h("main", { id: "main", tabindex: "-1" });
  if (screen !== "desk") leaveDesk();
  fill(app, bar, alerts, main);
  SCREENS[screen].draw(main);
  watchSpikes();
}

// editors and leads see topics flooding in (an outage) whatever screen they are on
const alerts = h("div", { class: "alerts", "aria-live": "polite" });
let spikeTimer = null;
function watchSpikes() {
  if (spikeTimer || !["editor", "lead", "admin"].includes(session?.agent.role)) return;
  const check = async () => {
    if (!session) { clearInterval(spikeTimer); spikeTimer = null; return; }
    try { fill(alerts, spikeAlerts(await api("/v1/content/spikes"))); } catch { /* shown on the next check */ }
  };
  check();
  spikeTimer = setInterval(check, 120000);
}

configure(() => session?.token, () => { if (session) logout(); });
if (session) shell(); else loginScreen();
