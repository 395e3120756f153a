/*
 * TierZero chat widget, the launcher: one tag on any page.
 *   <script src="https://support.example.com/widget.js" data-tierzero-key="…" async></script>
 * Optional attributes: data-api (api origin, default: the script's origin), data-title,
 * data-language (default: the page's <html lang>, then the browser's), data-user-id +
 * data-user-hash (a logged-in customer: the HMAC-SHA256 of the id under the desk's identity
 * secret, computed by the website's server; their history and plan follow them).
 * It draws only a button, in its own shadow root; the chat itself (chat.js) loads on the first
 * click. Any element of the page marked data-tierzero-open opens the chat too.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__tierzeroWidget) return;
  window.__tierzeroWidget = true;
  var base = new URL(script.src, location.href);
  var api = script.getAttribute("data-api") || base.origin;
  var language = script.getAttribute("data-language") || document.documentElement.lang || navigator.language || "en";
  var LABELS = {
    en: ["Chat with us", "Open support chat"],
    el: ["Συνομιλία μαζί μας", "Άνοιγμα συνομιλίας υποστήριξης"],
    ru: ["Написать в чат", "Открыть чат поддержки"],
    sr: ["Pišite nam", "Otvori čet podrške"],
    "sr-cyrl": ["Пишите нам", "Отвори чет подршке"]
  };
  var tag = language.toLowerCase();
  var label = LABELS[/^sr.*cyrl/.test(tag) ? "sr-cyrl" : tag.split(/[-_]/)[0]] || LABELS.en;

  // The host element resists the page's styles: inline !important wins over any stylesheet,
  // and everything inside lives in a shadow root the page's selectors cannot reach.
  var host = document.createElement("div");
  host.setAttribute("data-tierzero", "widget");
  host.setAttribute("style", "all:initial!important;display:block!important;position:fixed!important;" +
    "inset:auto 0 0 auto!important;width:0!important;height:0!important;overflow:visible!important;" +
    "z-index:2147483000!important;font-size:16px!important;visibility:visible!important;opacity:1!important");
  var shadow = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent =
    ":host{all:initial}" +
    ".tz-launch{position:fixed;inset-inline-end:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;" +
    "padding:14px 20px;background:#2354d6;color:#fff;font:600 15px/1.2 system-ui,sans-serif;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".tz-launch:focus-visible{outline:3px solid #1b1f24;outline-offset:3px}";
  shadow.appendChild(style);
  var launch = document.createElement("button");
  launch.className = "tz-launch";
  launch.type = "button";
  launch.textContent = label[0];
  launch.setAttribute("aria-label", label[1]);
  launch.setAttribute("aria-haspopup", "dialog");
  launch.setAttribute("data-testid", "tz-launch");
  shadow.appendChild(launch);

  var chat = null;
  function load() {
    if (!chat) {
      chat = import(new URL("chat.js", api + "/static/widget/").href).then(function (module) {
        return module.mount(shadow, {
          api: api, launcher: launch, language: language,
          title: script.getAttribute("data-title") || "Support",
          key: script.getAttribute("data-tierzero-key"),
          userId: script.getAttribute("data-user-id"), userHash: script.getAttribute("data-user-hash")
        });
      });
      chat.catch(function () { chat = null; });
    }
    return chat;
  }
  launch.addEventListener("click", function () { load().then(function (c) { c.toggle(); }); });
  document.addEventListener("click", function (ev) {
    var opener = ev.target && ev.target.closest && ev.target.closest("[data-tierzero-open]");
    if (!opener) return;
    ev.preventDefault();
    load().then(function (c) { c.show(); });
  });
  function attach() { document.body.appendChild(host); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
})();
