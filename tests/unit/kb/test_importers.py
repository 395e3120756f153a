"""KB import/export: per-row errors, atomic rows, idempotent re-import, round trips."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kb import importers, service
from kb.errors import ImportFormatError
from kb.models import Article, ArticleVersion
from kb.search import KbIndex
from tests.databases import fresh_database
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.settings import PROJECT_ROOT

DEMO = PROJECT_ROOT / "kb" / "demo" / "articles.yaml"
EDITOR = "importer@example.com"

GOOD_YAML = """\
articles:
  - key: password-reset
    category: account
    tags: [password, login]
    translations:
      en:
        title: Reset your password
        answer: |
          Open **Settings → Security** and choose *Reset password*.

          The link is valid for 60 minutes.
        questions:
          - How do I reset my password?
          - I forgot my password
      el:
        title: Επαναφορά κωδικού
        answer: Ανοίξτε **Ρυθμίσεις → Ασφάλεια**.
        questions: [Ξέχασα τον κωδικό μου]
  - key: refund
    category: billing
    tags: [money]
    translations:
      en:
        title: Get a refund
        answer: Refunds go back to your card within 5 days.
        questions: ["I want a refund", "How do I get my money back?"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def versions(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ArticleVersion)) or 0)


def import_(session: Session, path: Path, **options: object) -> service.ImportReport:
    return service.import_file(session, path, author=EDITOR, **options)  # type: ignore[arg-type]


class TestImport:
    def test_yaml_creates_and_publishes_every_translation(
        self, session: Session, tmp_path: Path, index: KbIndex
    ) -> None:
        report = import_(session, write(tmp_path, "kb.yaml", GOOD_YAML), index=index)
        assert report.ok
        assert (report.created, report.updated, report.unchanged, report.published) == (3, 0, 0, 3)
        session.commit()
        best = index.search("I forgot my password", language="en").best
        assert best is not None and best.title == "Reset your password"
        view = service.get_article_by_key(session, "password-reset")
        assert view.article.tags == ["password", "login"]
        assert [t.translation.status for t in view.translations] == ["published", "published"]
        assert view.translations[1].current.author == EDITOR
        assert view.translations[1].current.note == "imported"

    def test_publish_false_leaves_drafts(self, session: Session, tmp_path: Path) -> None:
        report = import_(session, write(tmp_path, "kb.yml", GOOD_YAML), publish=False)
        assert report.ok and report.published == 0
        assert service.list_articles(session, status="published").total == 0

    def test_json_has_the_same_shape(self, session: Session, tmp_path: Path) -> None:
        import yaml

        document = yaml.safe_load(GOOD_YAML)
        path = write(tmp_path, "kb.json", json.dumps(document, ensure_ascii=False))
        report = import_(session, path)
        assert report.ok and report.created == 3

    def test_csv_rows_with_pipe_or_newline_separated_questions(
        self, session: Session, tmp_path: Path
    ) -> None:
        text = (
            "\ufeffkey,language,title,answer,questions,category,tags\n"
            'password-reset,en,Reset your password,"Open **Settings**.","How do I reset?|'
            'I forgot my password",account,password|login\n'
            'password-reset,ru,Сброс пароля,"Откройте **Настройки**.","Как сбросить пароль?\n'
            'Я забыл пароль",,\n'
        )
        report = import_(session, write(tmp_path, "kb.csv", text))
        assert report.ok and report.created == 2
        view = service.get_article_by_key(session, "password-reset")
        assert view.article.category == "account" and view.article.tags == ["password", "login"]
        ru = next(t for t in view.translations if t.translation.language == "ru")
        assert ru.current.questions == ["Как сбросить пароль?", "Я забыл пароль"]
        en = next(t for t in view.translations if t.translation.language == "en")
        assert en.current.questions == ["How do I reset?", "I forgot my password"]

    def test_progress_is_reported_per_row(self, session: Session, tmp_path: Path) -> None:
        seen: list[tuple[int, int]] = []
        import_(
            session,
            write(tmp_path, "kb.yaml", GOOD_YAML),
            on_progress=lambda done, total: seen.append((done, total)),
        )
        assert seen == [(1, 3), (2, 3), (3, 3)]

    def test_the_demo_knowledge_base_imports_cleanly(self, session: Session) -> None:
        report = service.import_file(session, DEMO, author=EDITOR)
        assert report.errors == []
        assert report.created >= 20 and report.published == report.created


class TestRowErrors:
    BAD_YAML = """\
articles:
  - key: refund
    translations:
      en: {title: Get a refund, answer: Refunds take 5 days., questions: [refund please]}
  - key: refund
    translations:
      en: {title: Duplicate, answer: Should not land., questions: []}
  - key: broken-new
    translations:
      en: {title: "", answer: An answer without a title.}
  - key: evil
    translations:
      en: {title: Click me, answer: "Hi <script>steal()</script>"}
  - key: mixed
    translations:
      en: {title: Good one, answer: Fine text.}
      el: {title: Κακό, answer: ""}
      xx: {title: Bad language, answer: Text.}
  - key: Not A Slug
    translations:
      en: {title: T, answer: A.}
  - key: long
    translations:
      en: {title: "%s", answer: A.}
""" % ("t" * 301)

    def test_bad_rows_are_reported_and_good_rows_imported(
        self, session: Session, tmp_path: Path
    ) -> None:
        report = import_(session, write(tmp_path, "kb.yaml", self.BAD_YAML))
        assert report.created == 2  # refund/en and mixed/en
        messages = {(e.location, e.key, e.language): e.message for e in report.errors}
        assert "duplicate key 'refund'" in messages["articles[1]", "refund", None]
        assert messages["articles[2].translations.en", "broken-new", "en"] == "title is missing"
        assert "<script>" in messages["articles[3].translations.en", "evil", "en"]
        assert messages["articles[4].translations.el", "mixed", "el"] == "answer is missing"
        assert "unsupported language" in messages["articles[4].translations.xx", "mixed", "xx"]
        assert "slug" in messages["articles[5].translations.en", "Not A Slug", "en"]
        assert "longer than 300" in messages["articles[6].translations.en", "long", "en"]
        assert report.failed == 7
        assert [e.location for e in report.errors] == sorted(
            (e.location for e in report.errors), key=lambda loc: int(loc.split("]")[0][9:])
        )

    def test_nothing_half_written(self, session: Session, tmp_path: Path) -> None:
        import_(session, write(tmp_path, "kb.yaml", self.BAD_YAML))
        keys = set(session.scalars(select(Article.key)))
        assert keys == {"refund", "mixed"}  # no article left behind by a failed first row
        assert versions(session) == 2
        mixed = service.get_article_by_key(session, "mixed")
        assert [t.translation.language for t in mixed.translations] == ["en"]

    def test_a_failing_row_does_not_touch_the_live_index(
        self, session: Session, tmp_path: Path, index: KbIndex
    ) -> None:
        import_(session, write(tmp_path, "kb.yaml", self.BAD_YAML), index=index)
        session.commit()
        assert len(index) == 2

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            ("kb.yaml", "articles: [\n", "not valid YAML"),
            ("kb.yaml", "just: a mapping\n", "'articles' list"),
            ("kb.yaml", "a: &x [1]\narticles: *x\n", "aliases"),
            ("kb.json", "{nope", "not valid JSON"),
            ("kb.json", '{"articles": [{"key": "\\ud800"}]}', "lone surrogate"),
            ("kb.yaml", 'articles:\n- {key: x, category: "\\udfff"}\n', "lone surrogate"),
            ("kb.csv", "key,title\nx,y\n", "lacks column(s): language, answer"),
            ("kb.csv", "key,language,title,answer,colour\n", "unknown column(s): colour"),
            ("kb.txt", "whatever", "cannot tell the format"),
        ],
    )
    def test_unreadable_file_is_one_error(
        self, session: Session, tmp_path: Path, name: str, text: str, message: str
    ) -> None:
        with pytest.raises(ImportFormatError, match=re.escape(message)):
            import_(session, write(tmp_path, name, text))

    def test_duplicate_csv_rows(self, session: Session, tmp_path: Path) -> None:
        text = "key,language,title,answer\nrefund,en,A,B\nrefund,en,C,D\n"
        report = import_(session, write(tmp_path, "kb.csv", text))
        assert report.created == 1
        [error] = report.errors
        assert error.location == "line 3" and "duplicate key" in error.message


class TestReimport:
    def test_same_file_twice_changes_nothing(self, session: Session, tmp_path: Path) -> None:
        path = write(tmp_path, "kb.yaml", GOOD_YAML)
        import_(session, path)
        before = versions(session)
        again = import_(session, path)
        assert (again.created, again.updated, again.unchanged, again.published) == (0, 0, 3, 0)
        assert versions(session) == before

    def test_changed_row_becomes_a_new_published_version(
        self, session: Session, tmp_path: Path, index: KbIndex
    ) -> None:
        import_(session, write(tmp_path, "kb.yaml", GOOD_YAML), index=index)
        session.commit()
        changed = GOOD_YAML.replace(
            "Refunds go back to your card within 5 days.", "Refunds take 3 days now."
        )
        report = import_(session, write(tmp_path, "kb2.yaml", changed), index=index)
        session.commit()
        assert (report.updated, report.unchanged, report.published) == (1, 2, 1)
        refund = service.get_article_by_key(session, "refund").translations[0]
        assert refund.translation.version == 2 and refund.translation.published_version == 2
        best = index.search("I want a refund", language="en").best
        assert best is not None and best.answer == "Refunds take 3 days now."

    def test_unchanged_reimport_keeps_an_archived_translation_archived(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "kb.yaml", GOOD_YAML)
        import_(session, path)
        refund = service.get_article_by_key(session, "refund")
        service.archive(session, refund.article.id, "en", author=EDITOR)
        report = import_(session, path)
        assert report.published == 0
        status = service.get_article_by_key(session, "refund").translations[0].translation.status
        assert status == "archived"

    def test_reimport_publishes_an_unchanged_draft(self, session: Session, tmp_path: Path) -> None:
        path = write(tmp_path, "kb.yaml", GOOD_YAML)
        import_(session, path, publish=False)
        report = import_(session, path)
        assert (report.unchanged, report.published) == (3, 3)

    def test_category_change_updates_the_article(self, session: Session, tmp_path: Path) -> None:
        import_(session, write(tmp_path, "kb.yaml", GOOD_YAML))
        changed = GOOD_YAML.replace("category: billing", "category: payments")
        report = import_(session, write(tmp_path, "kb2.yaml", changed))
        assert report.ok
        assert service.get_article_by_key(session, "refund").article.category == "payments"


class TestExport:
    @pytest.mark.parametrize("fmt", importers.FORMATS)
    def test_reimporting_an_export_changes_nothing(
        self, fmt: importers.Format, session: Session, tmp_path: Path
    ) -> None:
        assert service.import_file(session, DEMO, author=EDITOR).ok
        before = versions(session)
        exported = service.export(session, fmt)
        report = import_(session, write(tmp_path, f"kb.{fmt}", exported))
        assert report.errors == []
        assert (report.created, report.updated, report.published) == (0, 0, 0)
        assert versions(session) == before

    @pytest.mark.parametrize("fmt", importers.FORMATS)
    def test_export_imports_into_a_fresh_database_identically(
        self, fmt: importers.Format, database_url: str, tmp_path: Path
    ) -> None:
        backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        exports: list[str] = []
        for n, source in enumerate((DEMO, None)):
            directory = tmp_path / f"db{n}"
            directory.mkdir()
            with fresh_database(backend, directory) as url:
                engine = make_engine(url)
                try:
                    with unit_of_work(make_session_factory(engine)) as s:
                        path = source or write(tmp_path, f"export.{fmt}", exports[-1])
                        report = service.import_file(s, path, author=EDITOR)
                        assert report.errors == []
                        exports.append(service.export(s, fmt))
                finally:
                    engine.dispose()
        assert exports[0] == exports[1]

    def test_export_shows_the_live_text_not_the_draft(
        self, session: Session, tmp_path: Path
    ) -> None:
        import_(session, write(tmp_path, "kb.yaml", GOOD_YAML))
        refund = service.get_article_by_key(session, "refund").translations[0]
        service.update_translation(
            session,
            refund.article.id,
            "en",
            expected_version=1,
            title="Get a refund",
            answer="Draft text, not reviewed.",
            questions=["I want a refund"],
            author=EDITOR,
        )
        live = service.export(session, "json")
        assert "Draft text" not in live
        assert "Draft text" in service.export(session, "json", include_unpublished=True)

    def test_multiline_answers_are_yaml_block_scalars(
        self, session: Session, tmp_path: Path
    ) -> None:
        import_(session, write(tmp_path, "kb.yaml", GOOD_YAML))
        text = service.export(session, "yaml")
        assert "answer: |" in text
        assert "Επαναφορά κωδικού" in text  # readable, not \\u escapes


class TestCli:
    """`tierzero kb …` against a SQLite file of its own; errors are one line, no traceback."""

    @pytest.fixture
    def cli(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
        from tierzero.settings import get_settings

        monkeypatch.setenv("TIERZERO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
        monkeypatch.setenv("TIERZERO_VAR_DIR", str(tmp_path / "var"))
        get_settings.cache_clear()
        yield CliRunner()
        get_settings.cache_clear()

    def test_import_export_search(self, cli: CliRunner, tmp_path: Path) -> None:
        from tierzero.cli.kb import app

        result = cli.invoke(app, ["import", str(DEMO)])
        assert result.exit_code == 0, result.output
        assert "failed 0" in result.output
        exported = cli.invoke(app, ["export", "--format", "json"])
        assert exported.exit_code == 0
        assert json.loads(exported.output)["articles"]
        found = cli.invoke(app, ["search", "I forgot my password", "--dense", "off", "--json"])
        assert found.exit_code == 0, found.output
        assert json.loads(found.output)["hits"][0]["key"] == "password-reset"

    def test_bad_rows_exit_1_and_are_listed(self, cli: CliRunner, tmp_path: Path) -> None:
        from tierzero.cli.kb import app

        path = write(tmp_path, "kb.csv", "key,language,title,answer\nx,en,T,<iframe src=x>\n")
        result = cli.invoke(app, ["import", str(path)])
        assert result.exit_code == 1
        assert "<iframe> is not allowed" in result.output
        assert "Traceback" not in result.output

    def test_unreadable_file_is_one_line(self, cli: CliRunner, tmp_path: Path) -> None:
        from tierzero.cli.kb import app

        result = cli.invoke(app, ["import", str(write(tmp_path, "kb.yaml", "articles: [\n"))])
        assert result.exit_code == 1
        assert "not valid YAML" in result.output and "Traceback" not in result.output
        result = cli.invoke(app, ["eval", "--dataset", "nope"])
        assert result.exit_code == 1 and "unknown dataset" in result.output
