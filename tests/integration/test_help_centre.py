"""The help centre on the real stack: server-rendered pages in every language (Serbian in both
scripts) with hreflang and a sitemap, the bot's own search with its abstention, "was this
helpful?" stored with the bot's feedback, and text that is always text."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest
from sqlalchemy import select, update

from kb import public
from kb.models import AnswerEvent, ArticleTranslation, ArticleVersion
from tests.stack import Stack

pytestmark = pytest.mark.integration

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


class Page(HTMLParser):
    """What a crawler reads: title, meta description, canonical, alternates, links, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.title, self.description, self.canonical = "", "", ""
        self.alternates: dict[str, str] = {}
        self.links: list[str] = []
        self.text: list[str] = []
        self._in_title = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "meta" and a.get("name") == "description":
            self.description = a.get("content", "")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]
        elif tag == "link" and a.get("rel") == "alternate":
            self.alternates[a["hreflang"]] = a["href"]
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        self.text.append(data)

    @property
    def body(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture
def web(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def editor(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, headers=stack.login("eve"), timeout=30) as c:
        yield c


def publish(editor: httpx.Client, **fields: object) -> dict:  # type: ignore[type-arg]
    body = {"key": f"hc-{uuid.uuid4().hex[:8]}", "language": "en", "category": "account",
            "tags": [], "questions": ["a question nobody else asks here"], **fields}  # fmt: skip
    made = editor.post("/v1/kb/articles", json=body)
    assert made.status_code == 201, made.text
    article = made.json()
    language = body["language"]
    done = editor.post(f"/v1/kb/articles/{article['id']}/translations/{language}/publish")
    assert done.status_code == 200, done.text
    return {**article, "key": body["key"]}


class TestPages:
    def test_help_picks_the_visitors_language(self, web: httpx.Client) -> None:
        for accept, slug in (("el-GR,el;q=0.9", "el"), ("sr-Latn-RS", "sr-latn"),
                             ("sr-Cyrl", "sr-cyrl"), ("de-DE", "en"), ("", "en")):  # fmt: skip
            moved = web.get("/help", headers={"Accept-Language": accept})
            assert moved.status_code == 307 and moved.headers["location"] == f"/help/{slug}/"

    def test_every_category_and_article_of_the_greek_home_page_opens(
        self, web: httpx.Client
    ) -> None:
        home = web.get("/help/el/")
        assert home.status_code == 200
        page = Page(home.text)
        assert "Κέντρο βοήθειας" in page.title and "Λογαριασμός & σύνδεση" in page.body
        assert set(page.alternates) >= {"en", "el", "ru", "sr-Latn", "sr-Cyrl", "x-default"}
        categories = sorted({link for link in page.links if "/categories/" in link})
        assert len(categories) >= 5
        articles: set[str] = set()
        for link in categories:
            listed = web.get(link)
            assert listed.status_code == 200, link
            articles |= {a for a in Page(listed.text).links if "/articles/" in a}
        assert len(articles) >= 20
        for link in sorted(articles):
            shown = web.get(link)
            assert shown.status_code == 200, link
            page = Page(shown.text)
            # in Greek, or in English saying so
            assert re.search("[α-ωΑ-Ω]", page.title) or "στα ελληνικά" in page.body, link

    def test_an_article_page_for_people_and_crawlers(self, web: httpx.Client) -> None:
        shown = web.get("/help/el/articles/password-reset")
        page = Page(shown.text)
        assert page.title.startswith("Επαναφορά κωδικού πρόσβασης")
        assert page.description.startswith("Μεταβείτε στο")
        assert page.canonical.endswith("/help/el/articles/password-reset")
        assert page.alternates["sr-Cyrl"].endswith("/help/sr-cyrl/articles/password-reset")
        assert page.alternates["x-default"].endswith("/help/en/articles/password-reset")
        assert "Σχετικά άρθρα" in page.body  # related articles of its category
        assert "script-src 'self'" in shown.headers["content-security-policy"]

    def test_serbian_in_both_scripts_links_stay_as_written(self, web: httpx.Client) -> None:
        latin = Page(web.get("/help/sr-latn/articles/password-reset").text)
        cyrillic = Page(web.get("/help/sr-cyrl/articles/password-reset").text)
        assert re.search("[a-zčćšžđ]{4}", latin.title) and not re.search("[а-я]", latin.title)
        assert re.search("[а-яђјљњћџ]{4}", cyrillic.title)
        assert "https://app.nimbus.example/login" in cyrillic.body  # not transliterated
        assert "Центар за помоћ" in cyrillic.body

    def test_an_untranslated_article_says_it_is_shown_in_english(
        self, web: httpx.Client, editor: httpx.Client
    ) -> None:
        article = publish(editor, title="Pair a second router", answer="Use **Mesh pairing**.")
        page = web.get(f"/help/el/articles/{article['key']}")
        assert page.status_code == 200
        text = Page(page.text)
        assert "δεν είναι ακόμη διαθέσιμο στα ελληνικά" in text.body
        assert "Pair a second router" in text.title
        assert set(text.alternates) == {"en", "x-default"}  # only real translations
        assert "(English)" in text.body  # the language switch says so for every other language

    def test_unknown_pages_are_404_pages(self, web: httpx.Client) -> None:
        for path in ("/help/el/articles/no-such-thing", "/help/xx/", "/help/el/categories/nope"):
            missing = web.get(path)
            assert missing.status_code == 404 and "<html" in missing.text, path
        assert "Δεν βρήκαμε" in web.get("/help/el/articles/no-such-thing").text


class TestSearch:
    def test_greek_search_finds_the_article_the_bot_would_answer_with(
        self, web: httpx.Client
    ) -> None:
        found = Page(web.get("/help/el/search", params={"q": "ξέχασα τον κωδικό μου"}).text)
        results = [link for link in found.links if "/articles/" in link]
        assert results[0] == "/help/el/articles/password-reset"
        assert "«ξέχασα τον κωδικό μου»" in found.body

    def test_no_good_match_offers_the_chat(self, web: httpx.Client) -> None:
        found = web.get("/help/en/search", params={"q": "what is the boiling point of mercury"})
        page = Page(found.text)
        assert not [link for link in page.links if "/articles/" in link]
        assert "No good match" in page.body and "data-tierzero-open" in found.text

    def test_the_query_is_text(self, web: httpx.Client) -> None:
        found = web.get("/help/en/search", params={"q": '<img src=x onerror="alert(1)">'})
        assert found.status_code == 200
        assert "<img src=x" not in found.text and "&lt;img src=x" in found.text


class TestFeedback:
    def test_one_vote_per_reader_and_article_stored_like_the_bots(
        self, stack: Stack, web: httpx.Client
    ) -> None:
        path = "/help/ru/articles/password-reset"
        voted = web.post(f"{path}/feedback", data={"helpful": "yes"})
        assert voted.status_code == 303 and voted.headers["location"] == f"{path}?feedback=thanks"
        visitor = web.cookies.get("tz_help_visitor")
        assert visitor
        assert "Спасибо за отзыв" in web.get(voted.headers["location"]).text
        again = web.post(f"{path}/feedback", data={"helpful": "no"})  # the same reader
        assert again.status_code == 303
        with stack.session_factory()() as db:
            votes = db.scalars(select(AnswerEvent).where(AnswerEvent.visitor == visitor)).all()
        assert [(v.kind, v.source, v.language) for v in votes] == [
            ("not_helpful", "help_centre", "ru")
        ]
        assert web.post(f"{path}/feedback", data={"helpful": "maybe"}).status_code == 400
        assert web.post("/help/ru/articles/nope/feedback", data={"helpful": "yes"}
                        ).status_code == 404  # fmt: skip


class TestTextStaysText:
    def test_a_hostile_title_is_escaped_everywhere(
        self, stack: Stack, web: httpx.Client, editor: httpx.Client
    ) -> None:
        hostile = '<img src=x onerror="alert(1)"> Router lights'
        refused = editor.post("/v1/kb/articles", json={
            "key": f"hc-{uuid.uuid4().hex[:8]}", "title": hostile, "answer": "x"})  # fmt: skip
        assert refused.status_code == 400 and "plain text" in refused.json()["detail"]
        title = f"Router lights {uuid.uuid4().hex[:6]}"
        article = publish(editor, title=title, answer="The lights show the router's state.",
                          questions=["what do the router lights mean"])  # fmt: skip
        # a title stored before titles were checked for markup still renders as text
        with stack.session_factory()() as db, db.begin():
            for model in (ArticleVersion, ArticleTranslation):
                db.execute(update(model).where(model.title == title).values(title=hostile))
        for path in (f"/help/en/articles/{article['key']}", "/help/en/categories/account"):
            page = web.get(path)
            assert "<img src=x" not in page.text and "&lt;img src=x" in page.text, path


class TestSitemap:
    def test_lists_every_published_translation_with_alternates(
        self, stack: Stack, web: httpx.Client
    ) -> None:
        xml = web.get("/help/sitemap.xml")
        assert xml.headers["content-type"].startswith("application/xml")
        root = ET.fromstring(xml.content)
        locs = {u.findtext(f"{SITEMAP}loc") for u in root.iter(f"{SITEMAP}url")}
        with stack.session_factory()() as db:
            published = public.published(db)
        expected = {
            stack.settings.public_url + public.article_path(key, language, script)
            for key, texts in published.items()
            for language in texts
            for script in (("Latn", "Cyrl") if language == "sr" else (None,))
        }
        assert expected and expected <= locs
        first = next(u for u in root.iter(f"{SITEMAP}url") if "/articles/password-reset" in
                     (u.findtext(f"{SITEMAP}loc") or ""))  # fmt: skip
        hreflangs = {link.get("hreflang") for link in first.iter(f"{XHTML}link")}
        assert hreflangs == {"en", "el", "ru", "sr-Latn", "sr-Cyrl"}
        robots = web.get("/robots.txt").text
        assert "Sitemap: " in robots and robots.strip().endswith("/help/sitemap.xml")
