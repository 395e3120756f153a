// The editors' content loop: topics flooding in right now (spikes), the questions the bot could
// not answer grouped by topic across languages (is it an example the KB lacks, or content?), and
// the queue itself. A cluster becomes example questions of an article (each language's questions
// to that language's translation) or a new draft article; a question can be discarded.
import { action, api, fill, h, messageOf, t, when } from "./lib.js";

const CLUSTER_LIMIT = 30;

export async function questions(main) {
  main.className = "page";
  const status = h("p", { class: "error", role: "alert" });
  const alerts = h("div", { "aria-live": "polite" });
  const clustersBox = h("div", { class: "clusters" });
  const queueBox = h("div");
  const flagsBox = h("div");
  let articles = [];
  fill(main, h("h2", { text: t("screen_questions") }), h("p", { class: "meta", text: t("questions_note") }),
    status, alerts, h("h3", { text: t("flags") }), flagsBox, h("h3", { text: t("clusters") }), clustersBox,
    h("h3", { text: t("question_queue") }), queueBox);

  async function load() {
    status.textContent = "";
    try {
      const [spikes, clusters, queue, list, flags] = await Promise.all([
        api("/v1/content/spikes"), api(`/v1/content/clusters?days=30&limit=${CLUSTER_LIMIT}`),
        api("/v1/content/questions?state=new&limit=100"), api("/v1/kb/articles?limit=200"), api("/v1/reports/flags")]);
      articles = list.items;
      fill(flagsBox, flagsTable(flags));
      fill(alerts, spikeAlerts(spikes));
      fill(clustersBox, clusters.length === CLUSTER_LIMIT ? h("p", { class: "meta", text: t("clusters_largest", { n: CLUSTER_LIMIT }) }) : null,
        clusters.length ? clusters.map(clusterCard) : h("p", { class: "meta", text: t("no_clusters") }));
      fill(queueBox, queueTable(queue.items));
    } catch (e) { status.textContent = messageOf(e); }
  }

  function clusterCard(c) {
    const result = h("p", { class: "meta", role: "status" });
    const main = Object.entries(c.languages).sort((a, b) => b[1] - a[1])[0]?.[0] || "en";
    const pick = h("select", { "aria-label": t("add_to_article") }, articles.map((a) => h("option", { value: a.id, text: a.key })));
    if (c.closest) pick.value = String(c.closest.article_id);
    const apply = action(t("add_examples"), async () => {
      const done = [];
      for (const [language, ids] of Object.entries(c.question_ids_by_language)) {
        try {
          await api("/v1/content/questions/apply", { method: "POST", body: { question_ids: ids, article_id: Number(pick.value), language } });
          done.push(language);
        } catch (e) { result.textContent = `${language}: ${messageOf(e)}`; }
      }
      if (done.length) { result.textContent = t("examples_added", { languages: done.join(", ") }); setTimeout(load, 800); }
    }, result);
    const discard = action(t("discard_topic"), () => discardAll(c.question_ids), result, { class: "quiet" });
    const key = h("input", { maxlength: "80", pattern: "[a-z0-9][a-z0-9-]*", required: true, "aria-label": t("new_key") });
    const title = h("input", { maxlength: "300", required: true, "aria-label": t("title") });
    const answer = h("textarea", { rows: "4", required: true, "aria-label": t("answer_markdown") });
    const draft = h("details", {}, h("summary", { text: t("new_draft_from_cluster") }),
      h("form", { onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const made = await api("/v1/content/questions/draft", { method: "POST", body: {
            question_ids: c.question_ids_by_language[main], key: key.value.trim(), title: title.value.trim(),
            answer: answer.value, language: main } });
          result.textContent = t("draft_made", { key: made.key });
          setTimeout(load, 800);
        } catch (e) { result.textContent = messageOf(e); }
      } }, key, title, answer, h("button", { type: "submit", text: t("make_draft") })));
    return h("article", { class: "panel cluster", "data-count": c.count },
      h("h4", {}, h("span", { class: `badge ${c.label}`, text: t(`label_${c.label}`) }), " ",
        t("cluster_count", { n: c.count, last: c.last_7_days, before: c.previous_7_days })),
      c.closest ? h("p", { class: "meta", text: t("closest_article", { title: c.closest.title, confidence: Math.round(c.closest.confidence * 100) }) }) : null,
      h("ul", {}, Object.entries(c.examples).map(([lang, texts]) => h("li", { lang }, h("strong", { text: `${lang}: ` }), texts.join(" · ")))),
      h("div", { class: "actions" }, pick, apply, discard), draft, result);
  }

  // agents' flags on bot answers: what is wrong, the article and version, the conversation
  function flagsTable(flags) {
    if (!flags.length) return h("p", { class: "meta", text: t("no_flags") });
    const keyOf = (id) => articles.find((a) => a.id === id)?.key || `#${id}`;
    return h("table", { class: "grid" }, h("caption", { class: "visually-hidden", text: t("flags") }),
      h("thead", {}, h("tr", {}, ["flag", "article", "question", "conversation", ""].map((k) => h("th", { scope: "col", text: k ? t(`col_${k}`) : "" })))),
      h("tbody", {}, flags.map((f) => h("tr", {},
        h("th", { scope: "row" }, t(`flag_${f.reason}`), f.note ? h("span", { class: "meta", text: ` · ${f.note}` }) : null),
        h("td", { text: `${keyOf(f.article_id)} (${f.article_language}, ${t("version_n", { n: f.article_version })})` }),
        h("td", { text: f.query }), h("td", { text: `#${f.conversation_id} · ${when(f.created_at)}` }),
        h("td", {}, action(t("flag_done"), async () => {
          await api(`/v1/reports/flags/${f.id}/done`, { method: "POST" });
          load();
        }, status, { class: "quiet", "aria-label": `${t("flag_done")}: ${f.query}` }))))));
  }

  function queueTable(items) {
    if (!items.length) return h("p", { class: "meta", text: t("queue_empty") });
    return h("table", { class: "grid" }, h("caption", { class: "visually-hidden", text: t("question_queue") }),
      h("thead", {}, h("tr", {}, ["question", "language", "why", "asked", ""].map((k) => h("th", { scope: "col", text: k ? t(`col_${k}`) : "" })))),
      h("tbody", {}, items.map((q) => h("tr", {},
        h("th", { scope: "row", lang: q.language || "", text: q.query }), h("td", { text: q.language || "—" }),
        h("td", { text: t(`why_${q.reason}`) }), h("td", { text: when(q.created_at) }),
        h("td", {}, action(t("discard"), () => discardAll([q.id]), status,
          { class: "quiet", "aria-label": `${t("discard")}: ${q.query}` }))))));
  }

  async function discardAll(ids) {
    for (const id of ids) {
      await api(`/v1/content/questions/${id}/state`, { method: "POST", body: { state: "discarded" } });
    }
    load();
  }
  load();
}

/** The alert editors and leads see when a topic floods in (an outage). */
export function spikeAlerts(spikes) {
  return spikes.map((s) => h("div", { class: "alert", role: "alert" },
    h("strong", { text: t("spike_title", { topic: s.topic }) }), " ",
    t("spike_line", { count: s.count, expected: s.expected.toFixed(1), since: when(s.started_at) }),
    s.examples.length ? h("p", { class: "meta", text: s.examples.slice(0, 3).join(" · ") }) : null));
}
