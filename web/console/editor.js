// The editors' screen: find an article (or the drafts agents promoted from resolved tickets),
// write a new one or a new translation, edit title, Markdown answer (with the readers' preview)
// and example questions, see whether the bot would answer a question as you type, save (a new
// version, refused if someone saved meanwhile), publish (live for the bot at once), archive,
// and read the version history with its diffs and roll back to any version.
import DOMPurify from "/vendor/purify.js";
import { ApiError, action, api, h, messageOf, safeLink, t, when, fill } from "./lib.js";

const LANGUAGES = ["en", "el", "ru", "sr"];
let language = "en";

export function articles(container, session) {
  const q = h("input", { id: "kb-q", type: "search" });
  const show = h("select", { id: "kb-show", "aria-label": t("show"), onchange: () => load() },
    [["", "kb_all"], ["draft", "kb_drafts"], ["published", "kb_published"], ["archived", "kb_archived"], ["from_tickets", "kb_from_tickets"]]
      .map(([value, key]) => h("option", { value, text: t(key) })));
  const list = h("ul", { class: "queue", id: "kb-list", "aria-label": t("screen_articles") });
  const pane = h("section", { class: "pane", id: "kb-pane", "aria-label": t("article") },
    h("p", { class: "meta", text: t("pick_an_article") }));
  const ctx = { pane, session, reload: () => load() };
  const side = h("nav", { class: "side", "aria-label": t("knowledge_base") },
    h("h2", { text: t("screen_articles") }),
    h("form", { class: "toolbar", role: "search", onsubmit: (ev) => { ev.preventDefault(); load(); } },
      h("label", { for: "kb-q", text: t("search_articles") }), q, h("button", { type: "submit", text: t("search") })),
    h("div", { class: "toolbar" }, show,
      h("button", { type: "button", class: "quiet", text: t("new_article"), onclick: () => newArticle(ctx) })),
    list);
  container.className = "desk";
  fill(container, side, pane);

  async function load() {
    const query = new URLSearchParams({ limit: "100" });
    if (q.value.trim()) query.set("q", q.value.trim());
    if (show.value === "from_tickets") query.set("from_tickets", "true");
    else if (show.value) query.set("status", show.value);
    let page;
    try { page = await api(`/v1/kb/articles?${query}`); }
    catch (e) { fill(list, h("li", { class: "error", text: messageOf(e) })); return; }
    fill(list, ...(page.items.length ? page.items.map((a) => h("li", {},
      h("button", { class: "open", type: "button", onclick: () => open(a.id, ctx) },
        h("strong", { text: a.key }), a.source_ticket_id ? h("span", { class: "meta", text: ` · ${t("from_ticket", { id: a.source_ticket_id })}` }) : null,
        h("br"),
        h("span", { class: "meta", text: a.translations.map((x) => `${x.language}: ${t(`kb_status_${x.status}`)}${x.has_unpublished_changes ? "*" : ""}`).join(" · ") }))))
      : [h("li", { class: "meta empty", text: t("no_results") })]));
  }
  load();
}

function field(id, label, control) {
  return h("p", {}, h("label", { for: id, text: label }), h("br"), control);
}

function newArticle(ctx) {
  const key = h("input", { id: "new-key", required: true, maxlength: "80", pattern: "[a-z0-9][a-z0-9-]*" });
  const lang = h("select", { id: "new-language" }, LANGUAGES.map((l) => h("option", { value: l, text: l })));
  const category = h("input", { id: "new-category", maxlength: "80" });
  const title = h("input", { id: "new-title", required: true, maxlength: "300" });
  const answer = h("textarea", { id: "new-answer", rows: "8", required: true });
  const questions = h("textarea", { id: "new-questions", rows: "5" });
  const message = h("p", { class: "error", role: "alert" });
  fill(ctx.pane, h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const made = await api("/v1/kb/articles", { method: "POST", body: {
        key: key.value.trim(), language: lang.value, category: category.value.trim() || null, title: title.value,
        answer: answer.value, questions: lines(questions.value) } });
      ctx.reload();
      open(made.id, ctx, lang.value, t("draft_created"));
    } catch (e) { message.textContent = messageOf(e); }
  } },
    h("h2", { text: t("new_article") }),
    field("new-key", t("article_key"), key), field("new-language", t("language"), lang),
    field("new-category", t("category"), category), field("new-title", t("title"), title),
    field("new-answer", t("answer_markdown"), answer), field("new-questions", t("example_questions"), questions),
    h("div", { class: "actions" }, h("button", { type: "submit", text: t("create_draft") })), message));
  key.focus();
}

function lines(text) { return text.split("\n").map((x) => x.trim()).filter(Boolean); }

async function open(id, ctx, wanted, notice) {
  const { pane } = ctx;
  let article;
  try { article = await api(`/v1/kb/articles/${id}`); }
  catch (e) { fill(pane, h("p", { class: "error", role: "alert", text: messageOf(e) })); return; }
  const languages = article.translations.map((x) => x.language);
  language = wanted && (languages.includes(wanted) || LANGUAGES.includes(wanted)) ? wanted : (languages.includes(language) ? language : languages[0]);
  const existing = article.translations.find((x) => x.language === language);
  const source = existing || article.translations.find((x) => x.language === "en") || article.translations[0];
  const tr = existing || { ...source, version: 0, status: "new", published_version: null, has_unpublished_changes: false };
  const pick = h("select", { id: "kb-language", onchange: (ev) => open(id, ctx, ev.target.value) },
    LANGUAGES.map((l) => h("option", { value: l, text: languages.includes(l) ? l : `${l} (${t("add_translation")})` })));
  pick.value = language;
  const title = h("input", { id: "kb-title", value: tr.title, maxlength: "300" });
  const answer = h("textarea", { id: "kb-answer", rows: "10" });
  answer.value = tr.answer;
  const questions = h("textarea", { id: "kb-questions", rows: "6" });
  questions.value = tr.questions.join("\n");
  const message = h("p", { role: "status", class: "meta", text: notice || (existing ? "" : t("new_translation_hint", { from: source.language })) });
  const preview = h("div", { class: "preview panel", role: "region", tabindex: "0", "aria-live": "polite", "aria-label": t("preview") });
  const trial = h("input", { id: "kb-try", type: "search" });
  const verdict = h("div", { "aria-live": "polite" });
  let tryTimer = null, previewTimer = null;
  trial.addEventListener("input", () => {
    clearTimeout(tryTimer);
    tryTimer = setTimeout(async () => {
      if (!trial.value.trim()) { fill(verdict, ); return; }
      try {
        const r = await api("/v1/kb/try", { method: "POST", body: { text: trial.value, language } });
        fill(verdict, 
          h("p", { text: r.would_answer ? t("bot_would_answer") : t("bot_would_not", { decision: t(`decision_${r.decision}`) }) }),
          h("ol", {}, r.hits.map((hit) => h("li", { text: `${hit.title} — ${Math.round(hit.confidence * 100)} %` }))));
      } catch (e) { fill(verdict, h("p", { class: "error", text: messageOf(e) })); }
    }, 300);
  });
  const renderPreview = async () => {
    try {
      const { html } = await api("/v1/kb/preview", { method: "POST", body: { answer: answer.value } });
      // already sanitised by the api; DOMPurify is the second lock on the door
      fill(preview, DOMPurify.sanitize(html, { RETURN_DOM_FRAGMENT: true }));
      for (const a of preview.querySelectorAll("a")) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
    } catch (e) { preview.textContent = messageOf(e); }
  };
  answer.addEventListener("input", () => { clearTimeout(previewTimer); previewTimer = setTimeout(renderPreview, 300); });
  renderPreview();

  const path = `/v1/kb/articles/${id}/translations/${language}`;
  const save = () => api(path, { method: "PUT", body: {
    expected_version: tr.version, title: title.value, answer: answer.value, questions: lines(questions.value) } });
  const act = (label, fn, cls) => action(label, async () => {
    message.className = "meta";
    try { await open(id, ctx, language, await fn()); ctx.reload(); }
    catch (e) {
      message.textContent = e instanceof ApiError && e.status === 409 ? t("saved_meanwhile") : messageOf(e);
      message.className = "error";
    }
  }, null, cls ? { class: cls } : {});
  const versions = h("div", { class: "panel versions" });
  const stats = h("p", { class: "meta" });
  const cited = h("div", { class: "panel citations" });
  fill(pane, 
    h("h2", { text: `${article.key} (${article.category || t("no_category")})` }),
    article.source_ticket_id ? h("p", { class: "meta" }, t("promoted_from", { id: article.source_ticket_id }), " ",
      ctx.session.agent.role === "admin" ? h("a", { href: `/console#ticket-${article.source_ticket_id}`, text: t("open_ticket") }) : null) : null,
    h("p", { class: "meta", text: existing ? `${language}: ${t(`kb_status_${tr.status}`)}, ${t("version_n", { n: tr.version })}` +
      (tr.published_version ? `, ${t("live_version_n", { n: tr.published_version })}` : "") + (tr.has_unpublished_changes ? `, ${t("unpublished_changes")}` : "") : `${language}: ${t("add_translation")}` }),
    existing ? h("p", {}, safeLink(tr.url, t("public_page"))) : null,
    h("label", { for: "kb-language", text: `${t("language")} ` }), pick,
    field("kb-title", t("title"), title),
    h("div", { class: "columns even" },
      field("kb-answer", t("answer_markdown"), answer),
      h("div", {}, h("h3", { class: "small", text: t("preview") }), preview)),
    field("kb-questions", t("example_questions"), questions),
    h("div", { class: "actions" },
      act(t("save_draft"), async () => t("saved_version", { n: (await save()).version })),
      act(t("save_publish"), async () => {
        const s = await save();
        await api(`${path}/publish`, { method: "POST", body: { expected_version: s.version } });
        return t("version_live", { n: s.version });
      }),
      existing && tr.status === "published" ? act(t("archive"), async () => {
        await api(`${path}/archive`, { method: "POST", body: { expected_version: tr.version } });
        return t("archived");
      }, "quiet") : null),
    message,
    h("div", { class: "panel" }, h("h3", { text: t("try_title") }),
      h("label", { for: "kb-try", text: t("try_label") }), h("br"), trial, verdict),
    stats, cited, versions);
  if (existing) { loadVersions(); loadStats(); loadCitations(); }

  // which versions the bot's recent answers cited, and the conversations that said they did not help
  async function loadCitations() {
    let r;
    try { r = await api(`/v1/reports/articles/${id}/versions?days=30`); } catch { return; }
    const mine = r.versions.filter((v) => v.language === language);
    if (!mine.length) return;
    fill(cited, h("h3", { text: t("citations_title") }), h("ul", {}, mine.map((v) => h("li", {},
      t("citation_line", { version: v.version, state: t(v.current ? "citation_live" : "citation_old"), answers: v.answers, not: v.not_helpful, flagged: v.flagged }),
      v.conversations.length ? h("ul", {}, v.conversations.map((c) => h("li", { class: "meta",
        text: `${when(c.at)} · #${c.conversation_id} · ${c.query}${c.flags ? " ⚑" : ""}` }))) : null))));
  }

  async function loadVersions() {
    let list;
    try { list = (await api(`${path}/versions`)).versions; } catch { return; }
    const diffBox = h("pre", { class: "diff", role: "region", "aria-live": "polite", tabindex: "0", "aria-label": t("changes"), hidden: true });
    fill(versions, h("h3", { text: t("history_versions") }),
      h("ol", { reversed: true }, [...list].reverse().map((v) => h("li", {},
        h("strong", { text: t("version_n", { n: v.number }) }), v.number === tr.published_version ? h("span", { class: "badge", text: t("live") }) : null,
        h("span", { class: "meta", text: ` ${v.author} · ${when(v.created_at)}${v.note ? ` · ${v.note}` : ""}` }),
        h("div", { class: "actions" },
          v.number > 1 ? h("button", { type: "button", class: "quiet", text: t("show_changes"), "aria-label": `${t("show_changes")}: ${t("version_n", { n: v.number })}`,
            onclick: () => showDiff(diffBox, v.diff) }) : null,
          v.number !== tr.version || tr.status !== "published" ? act(t("roll_back_to", { n: v.number }), async () => {
            const r = await api(`${path}/rollback`, { method: "POST", body: { version: v.number, expected_version: tr.version } });
            return t("rolled_back", { n: v.number, live: r.version });
          }, "quiet") : null)))),
      diffBox);
  }

  async function loadStats() {
    try {
      const s = await api(`/v1/kb/articles/${id}/stats`);
      const one = s.by_language[language];
      if (one) stats.textContent = t("stats_line", { shown: one.shown, helpful: one.helpful, not: one.not_helpful, handoffs: one.handoffs_after });
    } catch { /* stats are a bonus */ }
  }
}

function showDiff(box, diff) {
  box.hidden = false;
  fill(box, ...diff.split("\n").map((line) => h("span", {
    class: line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : "",
    text: `${line}\n` })));
  box.focus();
}
