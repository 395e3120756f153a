// The editors' screen: find an article, edit a translation (title, Markdown answer, example
// questions), see whether the bot would answer a question as you type, save (a new version,
// refused if someone saved meanwhile) and publish — live for the bot at once.
import { api, h } from "./lib.js";

let article = null;
let language = "en";

export function articles(container) {
  const q = h("input", { id: "kb-q", type: "search", "aria-label": "Search articles" });
  const list = h("ul", { class: "queue", id: "kb-list", "aria-label": "Articles" });
  const pane = h("section", { class: "pane", id: "kb-pane", "aria-label": "Article" },
    h("p", { class: "meta", text: "Pick an article to edit." }));
  const side = h("nav", { class: "side", "aria-label": "Knowledge base" },
    h("h2", { text: "Articles" }),
    h("form", { class: "actions", role: "search", onsubmit: (ev) => { ev.preventDefault(); load(q.value, list, pane); } },
      q, h("button", { type: "submit", text: "Search" })), list);
  container.replaceChildren(side, pane);
  load("", list, pane);
}

async function load(text, list, pane) {
  const query = new URLSearchParams({ limit: "100" });
  if (text.trim()) query.set("q", text.trim());
  const page = await api(`/v1/kb/articles?${query}`);
  list.replaceChildren(...page.items.map((a) => h("li", {},
    h("button", { class: "open", type: "button", onclick: () => open(a.id, pane) },
      h("strong", { text: a.key }), h("br"),
      h("span", { class: "meta", text: a.translations.map((t) => `${t.language}:${t.status}`).join(" · ") })))));
}

async function open(id, pane, wanted, notice) {
  article = await api(`/v1/kb/articles/${id}`);
  const languages = article.translations.map((t) => t.language);
  language = wanted && languages.includes(wanted) ? wanted : (languages.includes(language) ? language : languages[0]);
  const t = article.translations.find((x) => x.language === language);
  const pick = h("select", { id: "kb-language", onchange: (ev) => open(id, pane, ev.target.value) },
    languages.map((l) => h("option", { value: l, text: l })));
  pick.value = language;
  const title = h("input", { id: "kb-title", value: t.title, maxlength: "300" });
  const answer = h("textarea", { id: "kb-answer", rows: "10" });
  answer.value = t.answer;
  const questions = h("textarea", { id: "kb-questions", rows: "6" });
  questions.value = t.questions.join("\n");
  const message = h("p", { role: "status", class: "meta", text: notice || "" });
  const trial = h("input", { id: "kb-try", type: "search" });
  const verdict = h("div", { "aria-live": "polite" });
  let timer = null;
  trial.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!trial.value.trim()) { verdict.replaceChildren(); return; }
      const r = await api("/v1/kb/try", { method: "POST", body: { text: trial.value, language } });
      verdict.replaceChildren(
        h("p", { text: r.would_answer ? "The bot would answer with:" : `The bot would not answer (${r.decision}).` }),
        h("ol", {}, r.hits.map((hit) => h("li", { text: `${hit.title} — ${Math.round(hit.confidence * 100)} %` }))));
    }, 300);
  });
  const save = async () => {
    const saved = await api(`/v1/kb/articles/${id}/translations/${language}`, { method: "PUT", body: {
      expected_version: t.version, title: title.value, answer: answer.value,
      questions: questions.value.split("\n").map((x) => x.trim()).filter(Boolean) } });
    return saved;
  };
  // each action re-renders the article with what it did (or shows why it could not)
  const act = (label, fn) => h("button", { type: "button", text: label, onclick: async () => {
    message.textContent = "";
    try { await open(id, pane, language, await fn()); } catch (e) { message.textContent = e.message; message.className = "error"; }
  } });
  pane.replaceChildren(
    h("h2", { text: `${article.key} (${article.category || "no category"})` }),
    h("p", { class: "meta", text: `${language}: ${t.status}, version ${t.version}` +
      (t.published_version ? `, live version ${t.published_version}` : "") + (t.has_unpublished_changes ? ", unpublished changes" : "") }),
    h("label", { for: "kb-language", text: "Language " }), pick,
    h("p", {}, h("label", { for: "kb-title", text: "Title" }), h("br"), title),
    h("p", {}, h("label", { for: "kb-answer", text: "Answer (Markdown)" }), h("br"), answer),
    h("p", {}, h("label", { for: "kb-questions", text: "Example questions, one per line" }), h("br"), questions),
    h("div", { class: "actions" },
      act("Save draft", async () => `Saved version ${(await save()).version}.`),
      act("Save and publish", async () => {
        const s = await save();
        await api(`/v1/kb/articles/${id}/translations/${language}/publish`, { method: "POST", body: { expected_version: s.version } });
        return `Version ${s.version} is live.`;
      })),
    message,
    h("div", { class: "panel" }, h("h3", { text: "Would the bot answer this?" }),
      h("label", { for: "kb-try", text: "A customer's question" }), h("br"), trial, verdict));
}
