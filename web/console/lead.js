// Leads' and admins' screens: the team (tier, skills, languages, capacity, role, presence; admins
// add and change agents), the plans and their promises (SLA targets, business hours, handling
// limits), and the desk's figures (backlog and load now, and what happened over a period).
import { drawCharts } from "./charts.js";
import { action, api, download, fill, h, messageOf, t, when } from "./lib.js";

const ROLES = ["agent", "lead", "editor", "admin"];
const TIERS = ["L1", "L2", "L3"];
const LANGS = ["en", "el", "ru", "sr"];

// --- the team ---------------------------------------------------------------------------------
export async function team(main, session) {
  const admin = session.agent.role === "admin";
  const status = h("p", { class: "error", role: "alert" });
  const body = h("tbody");
  const form = h("div");
  main.className = "page";
  fill(main, h("h2", { text: t("screen_team") }),
    h("table", { class: "grid" },
      h("caption", { class: "visually-hidden", text: t("screen_team") }),
      h("thead", {}, h("tr", {}, ["name", "role", "tier", "languages", "skills", "capacity", "presence", ""].map((k) =>
        h("th", { scope: "col", text: k ? t(`col_${k}`) : "" })))),
      body),
    status, form);
  async function load() {
    let list;
    try { list = await api("/v1/agent/agents"); } catch (e) { status.textContent = messageOf(e); return; }
    fill(body, ...list.map((a) => h("tr", { class: a.active ? "" : "inactive" },
      h("th", { scope: "row" }, a.name, h("br"), h("span", { class: "meta", text: a.email })),
      h("td", { text: t(`role_${a.role}`) }), h("td", { text: a.tier }),
      h("td", { text: a.languages.join(", ") }), h("td", { text: a.skills.join(", ") || t("generalist") }),
      h("td", { text: t("capacity_value", { chats: a.chat_capacity, emails: a.email_capacity }) }),
      h("td", { text: a.active ? t(`presence_${a.presence}`) : t("deactivated") }),
      h("td", {}, admin ? h("button", { type: "button", class: "quiet", text: t("edit"), "aria-label": `${t("edit")}: ${a.name}`,
        onclick: () => edit(a) }) : null))));
  }
  function edit(a) {
    const creating = !a;
    a = a || { name: "", email: "", role: "agent", tier: "L1", languages: ["en"], skills: [], chat_capacity: 5, email_capacity: 3, active: true };
    const name = h("input", { id: "ag-name", value: a.name, required: true, maxlength: "200" });
    const email = h("input", { id: "ag-email", type: "email", value: a.email, required: true, disabled: !creating });
    const password = h("input", { id: "ag-password", type: "password", autocomplete: "new-password", minlength: "8", required: creating });
    const role = h("select", { id: "ag-role" }, ROLES.map((r) => h("option", { value: r, text: t(`role_${r}`) })));
    role.value = a.role;
    const tier = h("select", { id: "ag-tier" }, TIERS.map((x) => h("option", { value: x, text: x })));
    tier.value = a.tier;
    const langs = h("fieldset", {}, h("legend", { text: t("col_languages") }), LANGS.map((l) => h("label", { class: "check" },
      h("input", { type: "checkbox", value: l, checked: a.languages.includes(l) }), ` ${l}`)));
    const skills = h("input", { id: "ag-skills", value: a.skills.join(", ") });
    const chats = h("input", { id: "ag-chats", type: "number", min: "0", max: "50", value: a.chat_capacity });
    const emails = h("input", { id: "ag-emails", type: "number", min: "0", max: "50", value: a.email_capacity });
    const active = h("input", { id: "ag-active", type: "checkbox", checked: a.active });
    const error = h("p", { class: "error", role: "alert" });
    const row = (id, label, control) => h("p", {}, h("label", { for: id, text: label }), h("br"), control);
    fill(form, h("form", { class: "panel", onsubmit: async (ev) => {
      ev.preventDefault();
      const payload = { name: name.value.trim(), role: role.value, tier: tier.value,
        languages: [...langs.querySelectorAll("input:checked")].map((x) => x.value),
        skills: skills.value.split(",").map((x) => x.trim()).filter(Boolean),
        chat_capacity: Number(chats.value), email_capacity: Number(emails.value) };
      if (password.value) payload.password = password.value;
      try {
        if (creating) await api("/v1/agent/agents", { method: "POST", body: { ...payload, email: email.value.trim() } });
        else await api(`/v1/agent/agents/${a.id}`, { method: "PATCH", body: { ...payload, active: active.checked } });
        fill(form, h("p", { class: "ok", role: "status", text: t("saved") }));
        load();
      } catch (e) { error.textContent = messageOf(e); }
    } },
      h("h3", { text: creating ? t("add_agent") : `${t("edit")}: ${a.name}` }),
      row("ag-name", t("col_name"), name), row("ag-email", t("email"), email),
      row("ag-password", creating ? t("password") : t("new_password"), password),
      row("ag-role", t("col_role"), role), row("ag-tier", t("col_tier"), tier), langs,
      row("ag-skills", t("skills_hint"), skills), row("ag-chats", t("chat_capacity"), chats), row("ag-emails", t("email_capacity"), emails),
      creating ? null : h("p", {}, h("label", { class: "check" }, active, ` ${t("active")}`)),
      h("div", { class: "actions" }, h("button", { type: "submit", text: t("save") }),
        h("button", { type: "button", class: "quiet", text: t("cancel"), onclick: () => fill(form, ) })), error));
    name.focus();
  }
  if (admin) main.insertBefore(h("div", { class: "actions" }, action(t("add_agent"), async () => edit(null), status)), main.children[1]);
  load();
}

// --- plans and promises -------------------------------------------------------------------------
export async function plans(main) {
  main.className = "page";
  fill(main, h("h2", { text: t("screen_plans") }), h("p", { class: "meta", text: t("loading") }));
  let policy;
  try { policy = await api("/v1/agent/policy"); }
  catch (e) { fill(main, h("h2", { text: t("screen_plans") }), h("p", { class: "error", role: "alert", text: messageOf(e) })); return; }
  fill(main, h("h2", { text: t("screen_plans") }), ...policyView(policy));
}

function minutes(value) {
  if (value == null) return "—";
  const m = Number(value);
  return m >= 60 && m % 60 === 0 ? t("hours_n", { n: m / 60 }) : t("minutes_n", { n: m });
}

function table(caption, head, rows) {
  return h("table", { class: "grid" }, h("caption", { text: caption }),
    h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col", text: x })))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((cell, i) => i === 0 ? h("th", { scope: "row", text: cell }) : h("td", { text: cell }))))));
}

function targets(caption, list) {
  return table(caption, [t("col_priority"), t("first_response"), t("resolution")],
    list.map((x) => [t(`priority_${x.priority}`), minutes(x.first_response_minutes), minutes(x.resolution_minutes)]));
}

export function policyView(policy) {
  const out = [];
  for (const plan of policy.plans) {
    out.push(h("section", { class: "panel" },
      h("h3", { text: plan.name }),
      plan.description ? h("p", { text: plan.description }) : null,
      h("p", { class: "meta", text: [plan.live_support ? t("live_support") : t("no_live_support"),
        plan.claim_within_minutes != null ? t("claim_within", { time: minutes(plan.claim_within_minutes) }) : null,
        plan.escalate_on_breach ? t("escalates_on_breach") : null, plan.team ? `${t("team")}: ${plan.team}` : null].filter(Boolean).join(" · ") }),
      targets(t("targets_caption", { plan: plan.name }), plan.targets),
      plan.email_targets ? targets(t("email_targets_caption", { plan: plan.name }), plan.email_targets) : null,
      h("p", { class: "meta", text: plan.email_bot ? t("email_bot_on") : t("email_bot_off") })));
  }
  if (policy.teams?.length) {
    out.push(table(t("business_hours"), [t("team"), t("time_zone"), t("hours"), t("holidays")],
      policy.teams.map((x) => [`${x.name}${x.open_now ? ` (${t("open_now")})` : ""}`, x.time_zone,
        x.hours.filter((d) => d.opens).map((d) => `${t(`day_${d.day}`)} ${d.opens}–${d.closes}`).join(", ") || "—",
        (x.holidays || []).join(", ") || "—"])));
  }
  if (policy.handling_limits?.length) {
    out.push(table(t("handling_limits"), [t("col_tier"), t("warn_after"), t("limit")],
      policy.handling_limits.map((x) => [x.tier, minutes(x.warn_after_minutes), minutes(x.limit_minutes)])));
  }
  if (policy.sla_warning_at != null) out.push(h("p", { class: "meta", text: t("sla_warning_at", { n: Math.round(policy.sla_warning_at * 100) }) }));
  return out;
}

// --- figures ------------------------------------------------------------------------------------
let drawn = [];  // the Chart.js charts on the page (destroyed before drawing again)

async function chartLibrary() {
  // the UMD build sets globalThis.Chart (served from the committed npm lock, never a CDN)
  try { await import("/vendor/chart.js"); } catch { return null; }
  return globalThis.Chart || null;
}

function nextDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export async function reports(main) {
  main.className = "page";
  const since = h("input", { id: "rep-since", type: "date" });
  const until = h("input", { id: "rep-until", type: "date" });
  const bucket = h("select", { id: "rep-bucket" }, ["day", "week"].map((b) => h("option", { value: b, text: t(`bucket_${b}`) })));
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10);
  since.value = monthAgo; until.value = today;
  const out = h("div", { "aria-live": "polite" });
  const status = h("p", { class: "error", role: "alert" });
  const query = () => new URLSearchParams({ from: since.value, to: nextDay(until.value), bucket: bucket.value });
  const save = action(t("download_html"), () =>
    download(`/v1/reports/summary.html?${query()}`, `tierzero-report-${since.value}-${until.value}.html`),
  status, { class: "quiet" });
  const load = async () => {
    status.textContent = "";
    try {
      const [report, Chart, aside] = await Promise.all([api(`/v1/reports/summary?${query()}`), chartLibrary(),
        api("/v1/mail/aside?limit=50").catch(() => [])]);
      drawn.forEach((c) => c.destroy());
      const charts = h("div", { class: "charts" });
      fill(out, ...reportView(report), charts, breakdownView(report), ...nowView(report.now), asideView(aside));
      drawn = drawCharts(charts, report.charts.map((c) => ({ ...c, title: t(`chart_${c.key}`) })), Chart, { data: t("chart_data"), word: chartWord });
    } catch (e) { status.textContent = messageOf(e); }
  };
  fill(main, h("h2", { text: t("screen_reports") }),
    h("p", { class: "meta", text: t("reports_note") }),
    h("form", { class: "toolbar", onsubmit: (ev) => { ev.preventDefault(); load(); } },
      h("label", { for: "rep-since", text: t("from") }), since, h("label", { for: "rep-until", text: t("to") }), until,
      h("label", { for: "rep-bucket", text: t("bucket") }), bucket,
      h("button", { type: "submit", text: t("show") }), save), status, out);
  load();
}

/** Received mail that made nothing: no person wrote it, a flood, a loop, or unreadable. */
function asideView(list) {
  const why = (e) => e.status === "rejected" ? `${t("aside_rejected")}: ${e.reason || ""}` : t(`aside_${e.reason}`);
  return table(t("mail_aside"), [t("col_when"), t("col_from"), t("col_subject"), t("col_why")],
    list.length ? list.map((e) => [when(e.created_at), e.from_address || "—", e.subject || "—", why(e)])
      : [[t("aside_none"), "", "", ""]]);
}

/** A chart's series or category name in the agent's language (names the console has no word
 * for — article keys, topics, dates — stay as they are). */
function chartWord(name) {
  const key = `word_${String(name).replace(/[^a-z0-9]+/gi, "_")}`;
  const text = t(key);
  return text === key ? name : text;
}

function percent(v) { return v == null ? "—" : `${(v * 100).toFixed(1)} %`; }

const DIMENSIONS = ["channel", "tier", "team", "agent", "language", "topic", "plan"];

/** One dimension at a time: containment per conversation group, the desk's figures per ticket
 * group (a ticket counts for the tier and agent that resolved it, else answered it). */
function breakdownView(r) {
  const pick = h("select", { id: "rep-dimension" }, DIMENSIONS.map((d) => h("option", { value: d, text: t(`dim_${d}`) })));
  const box = h("div");
  const minutes = (x) => (x == null ? "—" : seconds(x * 60));
  const draw = () => {
    const parts = r.breakdowns[pick.value] || {};
    const out = [];
    if (parts.conversations) {
      out.push(table(t("per_dimension_conversations", { d: t(`dim_${pick.value}`) }),
        [t(`dim_${pick.value}`), t("fig_conversations"), t("fig_containment_confirmed"), t("fig_containment"), t("fig_handoff_rate")],
        Object.entries(parts.conversations).map(([k, c]) => [k, String(c.conversations), percent(c.containment_confirmed), percent(c.containment), percent(c.handoff_rate)])));
    }
    if (parts.tickets) {
      out.push(table(t("per_dimension_tickets", { d: t(`dim_${pick.value}`) }),
        [t(`dim_${pick.value}`), t("fig_created"), t("fig_resolved"), t("fig_median_first_response"), t("fig_median_resolution"), t("fig_sla_breaches"), t("fig_csat")],
        Object.entries(parts.tickets).map(([k, x]) => [k, String(x.created), String(x.resolved), minutes(x.first_response_business.median),
          minutes(x.resolution_business.median), String(x.sla_breached), x.csat.average == null ? "—" : Number(x.csat.average).toFixed(2)])));
    }
    fill(box, out);
  };
  pick.addEventListener("change", draw);
  draw();
  return h("section", { class: "breakdown" }, h("label", { for: "rep-dimension", text: t("per_dimension") }), " ", pick, box);
}

/** The report's headline figures (docs/metrics.md); the charts follow. */
export function reportView(r) {
  const c = r.conversations, k = r.tickets;
  const minutes = (x) => (x == null ? "—" : seconds(x * 60));
  const rows = [
    ["conversations", String(c.conversations)], ["containment_confirmed", percent(c.containment_confirmed)],
    ["containment", percent(c.containment)], ["handoff_rate", percent(c.handoff_rate)],
    ["good_handoffs", percent(k.good_handoff_share)],
    ["median_first_response", minutes(k.first_response_business.median)],
    ["median_resolution", minutes(k.resolution_business.median)],
    ["l1_share", percent(k.resolved_share_by_tier.L1)], ["reopen_rate", percent(k.reopen_rate)],
    ["sla_breaches", String(k.sla_breached)], ["queue_wait", minutes(r.queue_wait.taken.median)],
    ["csat", k.csat.responses ? `${Number(k.csat.average).toFixed(2)} / 5 (${k.csat.responses})` : "—"],
  ];
  return [h("h3", { text: t("report_title", { from: r.period.from, to: r.period.to }) }),
    h("dl", { class: "figures report-figures" }, ...rows.flatMap(([key, v]) => [h("dt", { text: t(`fig_${key}`) }), h("dd", { text: v })]))];
}

function seconds(s) {
  if (s == null) return "—";
  if (s < 90) return t("seconds_n", { n: Math.round(s) });
  if (s < 5400) return t("minutes_n", { n: Math.round(s / 60) });
  return t("hours_n", { n: (s / 3600).toFixed(1) });
}

/** The desk as it is now: each tier's queue and the agents' presence and load. */
export function nowView(o) {
  const out = [];
  out.push(h("h3", { text: t("now") }));
  out.push(table(t("backlog"), [t("col_tier"), t("queued"), t("assigned"), t("oldest_wait"), t("overdue")],
    o.tiers.map((x) => [x.tier, String(x.queued), String(x.assigned + x.waiting_on_customer), seconds(x.oldest_queued_seconds), String(x.overdue)])));
  out.push(table(t("agents_now"), [t("col_name"), t("col_tier"), t("col_presence"), t("chats"), t("emails")],
    o.agents.map((a) => [a.name, a.tier, t(`presence_${a.presence}`),
      `${a.chats} / ${a.chat_capacity}${a.pending_offers ? ` (+${a.pending_offers} ${t("offered")})` : ""}`, `${a.emails} / ${a.email_capacity}`])));
  return out;
}
