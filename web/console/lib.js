// Shared by the console's screens: DOM building that only ever sets text and attributes, the API
// client with the agent's token, and the UI's words in the agent's chosen language.

import { LANGUAGES, STRINGS } from "./strings.js";

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = String(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c != null) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** Replace ``node``'s children (nested arrays flattened; null, undefined and false skipped —
 * the DOM's own replaceChildren would print them as text). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return node;
}

// --- words ------------------------------------------------------------------------------------
const LANGUAGE_KEY = "tierzero.console.language";

function initialLanguage() {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  if (saved && STRINGS[saved]) return saved;
  for (const wanted of navigator.languages || []) {
    const tag = wanted.toLowerCase();
    if (tag.startsWith("sr")) return tag.includes("latn") ? "sr-latn" : "sr-cyrl";
    const base = tag.split("-")[0];
    if (STRINGS[base]) return base;
  }
  return "en";
}

let language = initialLanguage();
export function currentLanguage() { return language; }
export function setLanguage(code) {
  if (!STRINGS[code]) return;
  language = code;
  localStorage.setItem(LANGUAGE_KEY, code);
  document.documentElement.lang = code === "sr-latn" ? "sr-Latn" : code === "sr-cyrl" ? "sr-Cyrl" : code;
}
setLanguage(language);
export { LANGUAGES };

/** The UI text for ``key`` in the agent's language (English when missing), ``{name}`` filled. */
export function t(key, vars = {}) {
  const text = STRINGS[language][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// --- the API ----------------------------------------------------------------------------------
let tokenOf = () => null;
let onSignedOut = () => {};
export function configure(getToken, signedOut) { tokenOf = getToken; onSignedOut = signedOut; }

/** The agent's bearer token (for a download that is not JSON). */
export function token() { return tokenOf(); }

/** An API refusal: ``status`` and the body's ``detail`` and extra ``data`` (e.g. the messages
 * that arrived before a reply). A lost connection is a plain TypeError from fetch. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.data = body || {};
  }
}

export async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${tokenOf()}`, ...(options.headers || {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  if (response.status === 401) { onSignedOut(); throw new ApiError(401, { detail: t("signed_out") }); }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export function messageOf(error) {
  if (error instanceof ApiError) {
    const detail = error.data && error.data.detail;
    return Array.isArray(detail) ? detail.map((d) => d.msg || String(d)).join("; ") : error.message;
  }
  return t("no_connection");
}

// --- small shared pieces -----------------------------------------------------------------------
/** Save what ``path`` answers as ``filename``: fetched with the agent's token (never a link
 * anyone could open), saved, not shown. Throws ApiError when the api refuses. */
export async function download(path, filename) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${tokenOf()}` } });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: filename });
  document.body.append(link); link.click(); link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function uid() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "c" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(currentLanguage().startsWith("sr") ? "sr-Latn" : currentLanguage(),
    { dateStyle: "short", timeStyle: "short" });
}

/** A link only for http(s) addresses; anything else is shown as text. */
export function safeLink(url, text) {
  try {
    const parsed = new URL(url, location.origin);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      return h("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer", text: text || parsed.href });
    }
  } catch { /* not a URL */ }
  return h("span", { text: text || String(url || "") });
}

/** A button that runs ``fn`` and shows its error in ``status`` instead of throwing. */
export function action(label, fn, status, attrs = {}) {
  return h("button", { type: "button", ...attrs, text: label, onclick: async (ev) => {
    const button = ev.currentTarget;
    if (status) { status.textContent = ""; }
    button.disabled = true;
    try { await fn(); } catch (e) { if (status) status.textContent = messageOf(e); } finally { button.disabled = false; }
  } });
}
