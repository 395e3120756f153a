"""The help centre: the public face of the knowledge base at ``/help``.

Who may call: anyone — every page shows only published, sanitised text. Pages are rendered on
the server from Jinja2 templates (``web/help/templates``, autoescaped: titles and search terms
are text, the article body is the KB's allowlist-sanitised HTML) so search engines can index them:
titles, meta descriptions, ``hreflang`` alternates, a sitemap. Search goes through the bot's own
engine and abstains the same way ("no good match — chat with us"). "Was this helpful?" is stored
like the bot's feedback (``kb_answer_events``, source ``help_centre``), one vote per visitor and
article (an anonymous cookie), rate-limited per address.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, quote

import yaml
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.deps import ReadSessionDep, StateDep
from api.state import AppState
from handoff.language import render as in_script
from kb import public
from kb import service as kb_service
from kb.public import LOCALES, Locale, Shown
from kb.render import render_html
from tierzero.errors import InvalidInput, NotFound, TooManyRequests
from tierzero.languages import normalise_language, script_of_tag
from tierzero.settings import PROJECT_ROOT


class _HtmlNotFound(APIRoute):
    """A page that does not exist answers with the help centre's own 404 page, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except NotFound:
                if request.method != "GET":
                    raise
                slug = str(request.path_params.get("slug", "en"))
                return not_found_page(request, request.app.state.tierzero, slug)

        return route


router = APIRouter(tags=["help centre"], include_in_schema=False, route_class=_HtmlNotFound)

HELP_DIR = PROJECT_ROOT / "web" / "help"
templates = Jinja2Templates(directory=HELP_DIR / "templates")
VISITOR_COOKIE = "tz_help_visitor"
MAX_QUERY = 500
MAX_FORM_BYTES = 1024
_HEADERS = {
    # the pages run no inline script; the widget is our own static file
    # (the widget injects its own style element, hence inline styles)
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self' ws: wss:; "
    "base-uri 'none'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@lru_cache(maxsize=1)
def _strings() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = yaml.safe_load(
        (HELP_DIR / "strings.yaml").read_text(encoding="utf-8")
    )
    return data


class Texts:
    """The help centre's words in a locale (Serbian Cyrillic transliterated from Latin)."""

    def __init__(self, locale: Locale) -> None:
        strings = _strings()
        self._own = strings.get(locale.language) or strings["en"]
        self._locale = locale

    def __getattr__(self, name: str) -> str:
        return self.say(name)

    def say(self, name: str, **values: object) -> str:
        text = str(self._own.get(name) or _strings()["en"][name])
        return self.script(text.format(**values) if values else text)

    def script(self, text: str) -> str:
        return in_script(text, self._locale.language, self._locale.script)

    def category(self, name: str) -> str:
        labels = self._own.get("category_labels") or {}
        return self.script(str(labels.get(name) or name.replace("-", " ").capitalize()))


def _locale(slug: str) -> Locale:
    found = LOCALES.get(slug.lower())
    if found is None:
        raise NotFound("no such language in the help centre")
    return found


def _absolute(state: AppState, path: str) -> str:
    return state.settings.public_url.rstrip("/") + path


def _item(texts: Texts, locale: Locale, key: str, title: str, answer: str) -> dict[str, str]:
    """An article in a list (category, home, search results): link, title, excerpt."""
    return {
        "href": public.article_path(key, locale.language, locale.script),
        "title": texts.script(title),
        "excerpt": texts.script(public.excerpt(answer)),
    }


def _shown_item(texts: Texts, locale: Locale, shown: Shown) -> dict[str, str]:
    return _item(texts, locale, shown.text.key, shown.text.title, shown.text.answer)


def _page(
    request: Request,
    state: AppState,
    locale: Locale,
    template: str,
    *,
    path_in: Any,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a page; ``path_in(locale) -> (path, fallback language or None)`` gives this page
    in every locale, for the language switch and the hreflang alternates."""
    texts = Texts(locale)
    switch, alternates = [], []
    for other in LOCALES.values():
        path, fallback = path_in(other)
        switch.append({"href": path, "hreflang": other.hreflang, "label": other.label,
                       "current": other == locale, "fallback": fallback})  # fmt: skip
        if fallback is None:
            alternates.append({"hreflang": other.hreflang, "href": _absolute(state, path)})
    english, _ = path_in(LOCALES["en"])
    alternates.append({"hreflang": "x-default", "href": _absolute(state, english)})
    own, _ = path_in(locale)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": texts,
            "locale": locale,
            "brand": state.settings.brand_name,
            "canonical": _absolute(state, own),
            "alternates": alternates,
            "switch": switch,
            "home_href": f"{public.HELP_PATH}/{locale.slug}/",
            "search_href": f"{public.HELP_PATH}/{locale.slug}/search",
            **context,
        },
        status_code=status_code,
        headers=_HEADERS,
    )
    return response


@router.get("/help")
def help_home(request: Request) -> RedirectResponse:
    """Anyone: the help centre in the visitor's language (Accept-Language), else English."""
    slug = "en"
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip()
        language = normalise_language(tag)
        if language is not None:
            # Serbian without a script subtag ("sr", "sr-RS") is written in Cyrillic
            script = script_of_tag(tag) or ("Cyrl" if language == "sr" else None)
            slug = public.locale_for(language, script).slug
            break
    return RedirectResponse(f"{public.HELP_PATH}/{slug}/", status_code=307)


def _category(texts: Texts, locale: Locale, found: public.Category) -> dict[str, Any]:
    return {
        "name": found.name,
        "label": texts.category(found.name),
        "href": public.category_path(found.name, locale),
        "count": texts.say("articles", n=len(found.articles)),
        "articles": [_shown_item(texts, locale, s) for s in found.articles],
    }


@router.get("/help/{slug}/", response_class=HTMLResponse)
def home(slug: str, request: Request, session: ReadSessionDep, state: StateDep) -> HTMLResponse:
    """Anyone: search and the categories with their articles."""
    locale = _locale(slug)
    texts = Texts(locale)
    return _page(request, state, locale, "home.html",
                 path_in=lambda other: (f"{public.HELP_PATH}/{other.slug}/", None),
                 categories=[_category(texts, locale, c)
                             for c in public.categories(session, locale.language)])  # fmt: skip


@router.get("/help/{slug}/categories/{name}", response_class=HTMLResponse)
def category(
    slug: str, name: str, request: Request, session: ReadSessionDep, state: StateDep
) -> HTMLResponse:
    """Anyone: every published article of a category."""
    locale = _locale(slug)
    texts = Texts(locale)
    found = next((c for c in public.categories(session, locale.language) if c.name == name), None)
    if found is None:
        raise NotFound("no such category")
    return _page(request, state, locale, "category.html",
                 path_in=lambda other: (public.category_path(name, other), None),
                 category=_category(texts, locale, found))  # fmt: skip


@router.get("/help/{slug}/articles/{key}", response_class=HTMLResponse)
def article(
    slug: str,
    key: str,
    request: Request,
    session: ReadSessionDep,
    state: StateDep,
    feedback: str | None = Query(None, max_length=10),
) -> HTMLResponse:
    """Anyone: a published article in this language (explicitly in English where it is not
    translated), its related articles and "was this helpful?"."""
    locale = _locale(slug)
    texts = Texts(locale)
    shown, related = public.article(session, key, locale.language)
    text = shown.text
    published_at = text.published_at

    def path_in(other: Locale) -> tuple[str, str | None]:
        path = public.article_path(key, other.language, other.script)
        return path, None if other.language in shown.languages else "English"

    return _page(
        request, state, locale, "article.html", path_in=path_in,
        article={
            "title": texts.script(text.title),
            "html": render_html(texts.script(text.answer)),
            "excerpt": texts.script(public.excerpt(text.answer)),
            "fallback": shown.fallback,
            "hreflang": public.locale_for(text.language, locale.script).hreflang,
            "updated": f"{published_at:%Y-%m-%d}" if published_at else None,
            "updated_iso": published_at.isoformat() if published_at else None,
        },
        category={"label": texts.category(text.category),
                  "href": public.category_path(text.category, locale)},
        related=[_shown_item(texts, locale, s) for s in related],
        feedback_href=f"{public.article_path(key, locale.language, locale.script)}/feedback",
        thanks=feedback == "thanks",
    )  # fmt: skip


@router.post("/help/{slug}/articles/{key}/feedback")
async def article_feedback(
    slug: str, key: str, request: Request, state: StateDep
) -> RedirectResponse:
    """Anyone (rate-limited per address): "was this helpful?" for a published article; a
    visitor's second vote on the same article replaces the first."""
    locale = _locale(slug)
    client = request.client.host if request.client else "unknown"
    if not state.limits.feedback.allow(client):
        raise TooManyRequests("too many votes from this address; wait a minute")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInput("the form is too large")
    answer = parse_qs(body.decode("utf-8", "replace")).get("helpful", [""])[0]
    if answer not in ("yes", "no"):
        raise InvalidInput("helpful must be yes or no")
    visitor = request.cookies.get(VISITOR_COOKIE) or ""
    if not (16 <= len(visitor) <= 64 and visitor.isalnum()):
        visitor = secrets.token_hex(16)

    from anyio import to_thread

    def store() -> None:
        from tierzero.db import unit_of_work

        with unit_of_work(state.session_factory) as session:
            shown, _ = public.article(session, key, locale.language)
            kb_service.record_feedback(
                session, article_id=shown.text.article_id, language=shown.text.language,
                query="", confidence=None, helpful=answer == "yes", visitor=visitor,
            )  # fmt: skip

    await to_thread.run_sync(store)
    target = f"{public.article_path(key, locale.language, locale.script)}?feedback=thanks"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(VISITOR_COOKIE, visitor, max_age=365 * 24 * 3600, httponly=True,
                        samesite="lax", path=public.HELP_PATH)  # fmt: skip
    return response


@router.get("/help/{slug}/search", response_class=HTMLResponse)
def search(
    slug: str,
    request: Request,
    session: ReadSessionDep,
    state: StateDep,
    q: str = Query("", max_length=MAX_QUERY),
) -> HTMLResponse:
    """Anyone: the bot's own search; when it would abstain, the page says so and offers a chat."""
    locale = _locale(slug)
    texts = Texts(locale)
    query = q.strip()
    results: list[dict[str, str]] = []
    if query and state.kb is not None:
        found = state.kb.search(query, language=locale.language, limit=5)
        if found.decision != "abstain" and found.hits:
            keys = kb_service.keys_for(session, [h.article_id for h in found.hits])
            results = [
                _item(texts, locale, keys[hit.article_id], hit.title, hit.answer)
                for hit in found.hits
                if hit.article_id in keys
            ]
    heading = texts.say("results", q=query) if query else texts.search_label
    return _page(
        request, state, locale, "search.html",
        path_in=lambda other: (f"{public.HELP_PATH}/{other.slug}/search?q={quote(query)}", None),
        q=query, results=results, heading=heading,
    )  # fmt: skip


@router.get("/help/sitemap.xml")
def sitemap(request: Request, session: ReadSessionDep, state: StateDep) -> Response:
    """Anyone: every published translation (Serbian in both scripts), with its alternates."""
    entries = []
    for key, texts_by_language in sorted(public.published(session).items()):
        locales = [locale for locale in LOCALES.values() if locale.language in texts_by_language]
        alternates = [
            {"hreflang": loc.hreflang,
             "href": _absolute(state, public.article_path(key, loc.language, loc.script))}
            for loc in locales
        ]  # fmt: skip
        for locale in locales:
            published_at = texts_by_language[locale.language].published_at
            entries.append({
                "loc": _absolute(state, public.article_path(key, locale.language, locale.script)),
                "lastmod": f"{published_at:%Y-%m-%d}" if published_at else None,
                "alternates": alternates,
            })  # fmt: skip
    for locale in LOCALES.values():
        entries.append({"loc": _absolute(state, f"{public.HELP_PATH}/{locale.slug}/"),
                        "lastmod": None, "alternates": []})  # fmt: skip
    body = templates.get_template("sitemap.xml").render(entries=entries)
    return Response(body, media_type="application/xml; charset=utf-8")


@router.get("/robots.txt")
def robots(state: StateDep) -> PlainTextResponse:
    """Anyone: crawl the help centre, not the API."""
    lines = ["User-agent: *", "Allow: /help/", "Disallow: /v1/",
             f"Sitemap: {_absolute(state, public.HELP_PATH + '/sitemap.xml')}"]  # fmt: skip
    return PlainTextResponse("\n".join(lines) + "\n")


def not_found_page(request: Request, state: AppState, slug: str) -> HTMLResponse:
    """The help centre's own 404 page (in the page's language when it names one)."""
    locale = LOCALES.get(slug.lower()) or LOCALES["en"]
    return _page(request, state, locale, "not_found.html", status_code=404,
                 path_in=lambda other: (f"{public.HELP_PATH}/{other.slug}/", None))  # fmt: skip
