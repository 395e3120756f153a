"""The editor API end to end: the real app (in-process), a real database, a real login."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from handoff import agents
from handoff.lifecycle import Role
from handoff.models import Conversation, Customer
from kb import service as kb_service
from kb.models import ArticleTranslation, ArticleVersion
from tests.databases import backends, fresh_database
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.settings import Settings

PASSWORD = "kb-api-test-password"
EDITOR = "editor@nimbus.test"
AGENT = "agent@nimbus.test"

ARTICLE: dict[str, Any] = {
    "key": "password-reset",
    "language": "en",
    "category": "account",
    "tags": ["password"],
    "title": "Reset your password",
    "answer": "Open **Settings → Security** and choose *Reset password*.",
    "questions": ["How do I reset my password?", "I forgot my password", "change my password"],
}
REFUND: dict[str, Any] = {
    **ARTICLE,
    "key": "refund",
    "category": "billing",
    "title": "Get a refund",
    "answer": "Refunds go back to your card within 5 days.",
    "questions": ["I want a refund", "How do I get my money back?", "refund my invoice"],
}


@dataclass
class Api:
    client: TestClient
    app: FastAPI
    factory: sessionmaker[Session]
    headers: dict[str, str]

    def login(self, email: str) -> dict[str, str]:
        response = self.client.post("/v1/agent/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/v1/kb/articles", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def path(self, article_id: object, language: str = "en") -> str:
        return f"/v1/kb/articles/{article_id}/translations/{language}"

    def try_(self, text: str) -> dict[str, Any]:
        response = self.client.post(
            "/v1/kb/try", json={"text": text, "language": "en"}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def _wait_until_kb_loaded(app: FastAPI) -> None:
    """The api loads the index in the background after start; editor writes wait for it."""
    for _ in range(1200):
        if app.state.tierzero.kb_loaded:
            return
        time.sleep(0.05)
    raise AssertionError("the KB index did not load")


@pytest.fixture(params=backends())
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    with fresh_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            for email, role in ((EDITOR, "editor"), (AGENT, "agent")):
                agents.create_agent(
                    session,
                    email=email,
                    name=email.split("@")[0],
                    password=PASSWORD,
                    role=Role(role),
                )
        settings = Settings(
            environment="test",
            database_url=url,
            var_dir=tmp_path / "var",
            kb_dense="off",
            secret_key="kb-api-test-secret-key-that-is-long-enough",
            internal_token="kb-api-test-internal-token",
        )
        app = create_app(settings)
        with TestClient(app) as client:
            _wait_until_kb_loaded(app)
            api = Api(client, app, factory, {})
            api.headers = api.login(EDITOR)
            yield api
        engine.dispose()


class TestAccess:
    def test_editor_routes_need_a_token(self, api: Api) -> None:
        response = api.client.get("/v1/kb/articles")
        assert response.status_code == 401

    def test_an_agent_without_editor_role_is_forbidden(self, api: Api) -> None:
        headers = api.login(AGENT)
        assert api.client.get("/v1/kb/articles", headers=headers).status_code == 403
        response = api.client.post("/v1/kb/articles", json=ARTICLE, headers=headers)
        assert response.status_code == 403

    def test_public_article_needs_no_token(self, api: Api) -> None:
        article = api.create(ARTICLE)
        assert api.client.get("/v1/kb/public/articles/password-reset").status_code == 404
        api.client.post(f"{api.path(article['id'])}/publish", headers=api.headers)
        response = api.client.get("/v1/kb/public/articles/password-reset?lang=el")
        assert response.status_code == 200
        body = response.json()
        assert body["language"] == "en" and body["requested_language"] == "el"
        assert body["fallback"] is True
        assert "<strong>Settings → Security</strong>" in body["html"]


class TestEditing:
    def test_create_edit_publish_archive_rollback(self, api: Api) -> None:
        article = api.create(ARTICLE)
        [en] = article["translations"]
        assert en["status"] == "draft" and en["version"] == 1 and en["author"] == EDITOR
        path = api.path(article["id"])

        published = api.client.post(f"{path}/publish", headers=api.headers).json()
        assert published["status"] == "published" and published["published_version"] == 1
        hits = api.try_("I forgot my password")["hits"]
        assert hits[0]["article_id"] == article["id"]
        assert hits[0]["key"] == "password-reset"

        edited = api.client.put(
            path,
            json={
                **_content(ARTICLE),
                "answer": "Use the new recovery page.",
                "expected_version": 1,
            },
            headers=api.headers,
        ).json()
        assert edited["version"] == 2 and edited["published_version"] == 1
        assert edited["has_unpublished_changes"] is True
        api.client.post(f"{path}/publish", headers=api.headers)
        assert api.try_("I forgot my password")["hits"][0]["version"] == 2

        rolled = api.client.post(f"{path}/rollback", json={"version": 1}, headers=api.headers)
        assert rolled.status_code == 200, rolled.text
        assert rolled.json()["version"] == 3 and rolled.json()["answer"] == ARTICLE["answer"]
        assert api.try_("I forgot my password")["hits"][0]["version"] == 3

        archived = api.client.post(f"{path}/archive", headers=api.headers).json()
        assert archived["status"] == "archived"
        ids = [hit["article_id"] for hit in api.try_("I forgot my password")["hits"]]
        assert article["id"] not in ids

        versions = api.client.get(f"{path}/versions", headers=api.headers).json()["versions"]
        assert [v["number"] for v in versions] == [1, 2, 3]
        assert all(v["author"] == EDITOR for v in versions)
        assert "+Use the new recovery page." in versions[1]["diff"]
        assert versions[2]["note"] == "rollback to version 1"
        diff = api.client.get(f"{path}/diff?from=2&to=3", headers=api.headers).json()
        assert "-Use the new recovery page." in diff["diff"]

    def test_stale_save_is_409_with_the_current_version(self, api: Api) -> None:
        article = api.create(ARTICLE)
        path = api.path(article["id"])
        first = {**_content(ARTICLE), "answer": "First editor.", "expected_version": 1}
        second = {**_content(ARTICLE), "answer": "Second editor.", "expected_version": 1}
        assert api.client.put(path, json=first, headers=api.headers).status_code == 200
        conflict = api.client.put(path, json=second, headers=api.headers)
        assert conflict.status_code == 409
        assert conflict.json()["error"] == "VersionConflict"
        assert "current version is 2" in conflict.json()["detail"]
        current = api.client.get(f"/v1/kb/articles/{article['id']}", headers=api.headers).json()
        assert current["translations"][0]["answer"] == "First editor."

    def test_translation_is_created_with_expected_version_0(self, api: Api) -> None:
        article = api.create(ARTICLE)
        body = {
            "title": "Сброс пароля",
            "answer": "Откройте **Настройки**.",
            "questions": ["Как сбросить пароль?"],
            "expected_version": 0,
        }
        created = api.client.put(api.path(article["id"], "ru"), json=body, headers=api.headers)
        assert created.status_code == 200 and created.json()["language"] == "ru"
        again = api.client.put(api.path(article["id"], "ru"), json=body, headers=api.headers)
        assert again.status_code == 409

    def test_unsafe_answer_is_400_and_unknown_fields_422(self, api: Api) -> None:
        bad = {**ARTICLE, "answer": 'Hi <img src=x onerror="alert(1)">'}
        response = api.client.post("/v1/kb/articles", json=bad, headers=api.headers)
        assert response.status_code == 400 and response.json()["error"] == "UnsafeContent"
        extra = {**ARTICLE, "status": "published"}
        response = api.client.post("/v1/kb/articles", json=extra, headers=api.headers)
        assert response.status_code == 422
        response = api.client.post(
            "/v1/kb/articles", json={**ARTICLE, "key": "Not a slug"}, headers=api.headers
        )
        assert response.status_code == 422

    def test_list_filters(self, api: Api) -> None:
        reset = api.create(ARTICLE)
        api.create(REFUND)
        api.client.post(f"{api.path(reset['id'])}/publish", headers=api.headers)

        def keys(query: str) -> list[str]:
            response = api.client.get(f"/v1/kb/articles?{query}", headers=api.headers)
            assert response.status_code == 200, response.text
            return sorted(item["key"] for item in response.json()["items"])

        assert keys("") == ["password-reset", "refund"]
        assert keys("status=published") == ["password-reset"]
        assert keys("category=billing") == ["refund"]
        assert keys("q=money") == ["refund"]
        assert keys("language=el") == []
        assert api.client.get("/v1/kb/articles?status=gone", headers=api.headers).status_code == 422
        with unit_of_work(api.factory) as session:  # an agent promoted ticket 41's answer
            kb_service.create_article(
                session, key="ticket-41-router", language="en", title="Router blinks red",
                answer="Unplug it for ten seconds.", questions=["my router blinks red"],
                author="agent@nimbus.test", source_ticket_id=41,
            )  # fmt: skip
        assert keys("from_tickets=true") == ["ticket-41-router"]
        assert keys("from_tickets=true&status=published") == []
        listed = api.client.get("/v1/kb/articles?from_tickets=true", headers=api.headers).json()
        assert listed["items"][0]["source_ticket_id"] == 41

    def test_preview_renders_like_the_help_centre_and_strips_scripts(self, api: Api) -> None:
        markdown = (
            "**Bold** [site](https://nimbus.test) <img src=x onerror=alert(1)> "
            "[x](javascript:alert(1))"
        )
        response = api.client.post("/v1/kb/preview", json={"answer": markdown}, headers=api.headers)
        assert response.status_code == 200, response.text
        html = response.json()["html"]
        assert "<strong>Bold</strong>" in html and 'href="https://nimbus.test"' in html
        assert "onerror" not in html and 'href="javascript' not in html  # the text stays text
        agent = api.login(AGENT)
        assert (
            api.client.post("/v1/kb/preview", json={"answer": "x"}, headers=agent).status_code
            == 403
        )
        vendored = api.client.get("/vendor/purify.js")  # what the console sanitises it with
        assert vendored.status_code == 200 and "DOMPurify" in vendored.text
        assert api.client.get("/vendor/..%2Fpackage.json").status_code == 404
        too_long = {"answer": "x" * 30_000}
        assert (
            api.client.post("/v1/kb/preview", json=too_long, headers=api.headers).status_code == 422
        )

    def test_404_for_unknown_article(self, api: Api) -> None:
        response = api.client.get("/v1/kb/articles/987654", headers=api.headers)
        assert response.status_code == 404 and response.json()["error"] == "ArticleNotFound"


class TestImportExport:
    YAML = """\
articles:
  - key: refund
    category: billing
    tags: [money]
    translations:
      en:
        title: Get a refund
        answer: Refunds go back to your card within 5 days.
        questions: ["I want a refund", "How do I get my money back?"]
  - key: evil
    translations:
      en: {title: Evil, answer: "<script>alert(1)</script>"}
  - key: refund
    translations:
      en: {title: Again, answer: Duplicate.}
"""

    def test_import_reports_rows_and_publishes_live(self, api: Api) -> None:
        response = api.client.post(
            "/v1/kb/import",
            content=self.YAML.encode(),
            headers={**api.headers, "Content-Type": "application/yaml"},
        )
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["created"], report["published"], report["failed"]) == (1, 1, 2)
        assert {e["key"] for e in report["errors"]} == {"evil", "refund"}
        assert api.try_("I want a refund")["hits"][0]["key"] == "refund"

        again = api.client.post(
            "/v1/kb/import?format=yaml", content=self.YAML.encode(), headers=api.headers
        ).json()
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)

    def test_export_round_trips(self, api: Api) -> None:
        api.client.post(
            "/v1/kb/import?format=yaml", content=self.YAML.encode(), headers=api.headers
        )
        media_types = {"yaml": "application/yaml", "json": "application/json", "csv": "text/csv"}
        for fmt, media_type in media_types.items():
            exported = api.client.get(f"/v1/kb/export?format={fmt}", headers=api.headers)
            assert exported.status_code == 200
            assert exported.headers["content-type"].startswith(media_type)
            assert "attachment" in exported.headers["content-disposition"]
            report = api.client.post(
                f"/v1/kb/import?format={fmt}", content=exported.content, headers=api.headers
            ).json()
            assert report["errors"] == [] and report["unchanged"] == 1

    def test_unreadable_file_is_400(self, api: Api) -> None:
        response = api.client.post(
            "/v1/kb/import?format=json", content=b"{broken", headers=api.headers
        )
        assert response.status_code == 400 and response.json()["error"] == "ImportFormatError"
        response = api.client.post("/v1/kb/import", content=b"x", headers=api.headers)
        assert response.status_code == 400


class TestStatsAndTry:
    def test_stats_count_feedback(self, api: Api) -> None:
        article = api.create(ARTICLE)
        with unit_of_work(api.factory) as session:
            customer = Customer()
            session.add(customer)
            session.flush()
            conversation = Conversation(customer_id=customer.id)
            session.add(conversation)
            session.flush()
            common: dict[str, Any] = {
                "article_id": article["id"],
                "language": "en",
                "query": "forgot",
                "confidence": 0.8,
            }
            kb_service.record_answer_shown(session, conversation_id=conversation.id, **common)
            kb_service.record_feedback(
                session, helpful=False, conversation_id=conversation.id, **common
            )
            kb_service.record_handoff_after(
                session, article_id=article["id"], conversation_id=conversation.id
            )
        stats = api.client.get(f"/v1/kb/articles/{article['id']}/stats", headers=api.headers).json()
        assert (stats["shown"], stats["helpful"], stats["not_helpful"]) == (1, 0, 1)
        assert stats["helpful_rate"] == 0.0 and stats["handoffs_after"] == 1
        assert stats["by_language"]["en"]["shown"] == 1

    def test_try_abstains_on_an_empty_kb(self, api: Api) -> None:
        result = api.try_("what is the meaning of life")
        assert result["decision"] == "abstain" and result["would_answer"] is False


class TestPublicPage:
    def test_markup_in_a_title_is_refused(self, api: Api) -> None:
        hostile = {**ARTICLE, "title": "<script>alert(1)</script> Reset"}
        refused = api.client.post("/v1/kb/articles", json=hostile, headers=api.headers)
        assert refused.status_code == 400, refused.text
        assert "plain text" in refused.json()["detail"]

    def test_page_escapes_text_and_runs_no_script(self, api: Api) -> None:
        article = api.create(ARTICLE)
        api.client.post(f"{api.path(article['id'])}/publish", headers=api.headers)
        # a title stored before titles were checked for markup still renders as text
        with unit_of_work(api.factory) as session:
            for model in (ArticleVersion, ArticleTranslation):
                session.execute(update(model).values(title="<script>alert(1)</script> Reset"))
        moved = api.client.get("/kb/articles/password-reset?lang=ru", follow_redirects=False)
        assert moved.status_code == 301
        assert moved.headers["location"] == "/help/ru/articles/password-reset"
        page = api.client.get("/kb/articles/password-reset?lang=ru", follow_redirects=True)
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        scripts = re.findall(r"<script[^>]*>", page.text)
        assert scripts == ['<script src="/widget.js" data-title="Nimbus Net" async>']
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Reset" in page.text
        assert "<strong>Settings → Security</strong>" in page.text
        assert "английская версия" in page.text  # explicit fallback note
        assert "script-src 'self'" in page.headers["content-security-policy"]

    def test_unknown_article_page_is_404(self, api: Api) -> None:
        assert api.client.get("/kb/articles/nope", follow_redirects=True).status_code == 404


def _content(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in ("title", "answer", "questions")}
