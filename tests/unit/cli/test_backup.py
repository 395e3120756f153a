"""`tierzero backup` / `tierzero restore` on a real database of each engine (a fresh one per
test): back up, wipe, restore gives back every row; older backups are migrated; foreign, damaged
or mismatched files and a database in use are refused and leave the database as it was."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner, Result

from handoff import conversations, tickets
from handoff.lifecycle import Presence, Sender
from tests.databases import backends, fresh_database
from tests.unit.handoff.builders import HUB, make_agent, make_conversation, make_ticket, say
from tierzero import migrate
from tierzero.backup import head_revision
from tierzero.cli.backup import app
from tierzero.db import driver_url, make_engine, make_session_factory, unit_of_work

OLD_REVISION = "0006"  # before scheduled_jobs (0007) and agents.token_version (0009)


@dataclass(frozen=True)
class Desk:
    backend: str
    url: str
    tmp: Path

    def engine(self) -> Engine:
        """No pool: nothing stays connected to look like a running api."""
        return create_engine(driver_url(self.url), poolclass=NullPool)


@pytest.fixture(params=backends())
def desk(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    from tierzero.settings import get_settings

    with fresh_database(request.param, tmp_path) as url:
        monkeypatch.setenv("TIERZERO_DATABASE_URL", url)
        monkeypatch.setenv("TIERZERO_VAR_DIR", str(tmp_path / "var"))
        get_settings.cache_clear()
        yield Desk(request.param, url, tmp_path)
        get_settings.cache_clear()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def fill(desk: Desk) -> None:
    """A day at the desk through the real services: chats, a handoff, a claim and a reply."""
    engine = make_engine(desk.url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            agent = make_agent(session, presence=Presence.ONLINE, name="Ena Kovač")
            ticket = make_ticket(session, text="my router blinks red\nsince the storm")
            conversations.add_message(
                session, conversation_id=ticket.conversation_id, sender=Sender.BOT,
                text="Try restarting it", payload={"article": {"id": 7, "confidence": 0.42}},
            )  # fmt: skip
            tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
            tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id, text="On it — Ena")
            greek = make_conversation(session, language="el")
            say(session, greek, "Γεια σας, πώς αλλάζω το πακέτο μου;")
    finally:
        engine.dispose()


def snapshot(desk: Desk) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    engine = desk.engine()
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {
                name: [
                    tuple(row)
                    for row in conn.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for name, table in sorted(metadata.tables.items())
            }
    finally:
        engine.dispose()


def wipe(desk: Desk) -> None:
    if desk.backend == "sqlite":
        path = Path(desk.url.removeprefix("sqlite:///"))
        for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        return
    engine = desk.engine()
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def backup_to(desk: Desk, name: str = "desk.tzbackup") -> Path:
    path = desk.tmp / "backups" / name
    made = run("backup", "--to", str(path))
    assert made.exit_code == 0, made.output
    return path


def rewritten(source: Path, destination: Path, **manifest: Any) -> Path:
    """The same backup with some manifest fields changed (its payload and checksum intact)."""
    with zipfile.ZipFile(source) as zf, zipfile.ZipFile(destination, "w") as out:
        for item in zf.infolist():
            data = zf.read(item)
            if item.filename == "manifest.json":
                data = json.dumps({**json.loads(data), **manifest}).encode()
            out.writestr(item, data)
    return destination


class TestBackupWipeRestore:
    def test_every_row_comes_back_and_the_desk_carries_on(self, desk: Desk) -> None:
        fill(desk)
        before = snapshot(desk)
        assert (len(before["conversations"]), len(before["tickets"])) == (2, 1)
        assert len(before["messages"]) >= 4 and len(before["ticket_events"]) >= 2
        path = backup_to(desk)
        assert path.stat().st_mode & 0o777 == 0o600  # personal data and password hashes
        again = run("backup", "--to", str(path))
        assert again.exit_code == 1 and "exists" in again.output

        wipe(desk)
        restored = run("restore", str(path), "--yes")

        assert restored.exit_code == 0, restored.output
        assert snapshot(desk) == before
        engine = make_engine(desk.url)  # ids and sequences go on where they were
        with unit_of_work(make_session_factory(engine)) as session:
            new = make_ticket(session, text="and now the TV")
            assert new.id > max(row[0] for row in before["tickets"])
            more = make_conversation(session)
            assert more.id > max(row[0] for row in before["conversations"])
        engine.dispose()

    def test_the_manifest_says_what_the_backup_is(self, desk: Desk) -> None:
        fill(desk)
        with zipfile.ZipFile(backup_to(desk)) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            payload = zf.read(manifest["database"])
        assert manifest["format"] == "tierzero-backup" and manifest["format_version"] == 1
        assert manifest["engine"] == desk.backend
        assert manifest["schema_revision"] == head_revision()
        assert (manifest["rows"]["conversations"], manifest["rows"]["tickets"]) == (2, 1)
        assert manifest["sha256"] == hashlib.sha256(payload).hexdigest()

    def test_a_backup_taken_during_a_write_holds_only_what_was_committed(self, desk: Desk) -> None:
        fill(desk)
        engine = make_engine(desk.url)
        writer = make_session_factory(engine)()
        try:
            make_conversation(writer)  # flushed, not committed: the api in mid-request
            made = run("backup", "--to", str(desk.tmp / "online.tzbackup"))
        finally:
            writer.rollback()
            writer.close()
            engine.dispose()
        assert made.exit_code == 0, made.output
        with zipfile.ZipFile(desk.tmp / "online.tzbackup") as zf:
            assert json.loads(zf.read("manifest.json"))["rows"]["conversations"] == 2

    def test_a_backup_from_an_older_schema_is_restored_and_migrated(self, desk: Desk) -> None:
        config = migrate.alembic_config(desk.url)
        command.downgrade(config, OLD_REVISION)  # the desk as an older TierZero made it …
        engine = make_engine(desk.url)
        with unit_of_work(make_session_factory(engine)) as session:  # … and used it
            say(session, make_conversation(session), "before the upgrade")
            say(session, make_conversation(session, language="sr"), "Здраво, нема интернета")
        engine.dispose()
        old = snapshot(desk)
        assert "scheduled_jobs" not in old
        path = backup_to(desk, "old.tzbackup")
        command.upgrade(config, "head")  # then TierZero was upgraded and the desk went on
        engine = make_engine(desk.url)
        with unit_of_work(make_session_factory(engine)) as session:
            make_ticket(session, text="after the upgrade")
        engine.dispose()

        restored = run("restore", str(path), "--yes")

        assert restored.exit_code == 0, restored.output
        said = " ".join(restored.output.split())
        assert f"migrated from schema {OLD_REVISION} to {head_revision()}" in said
        now = snapshot(desk)
        assert now["alembic_version"] == [(head_revision(),)]
        for name in ("customers", "conversations", "messages"):
            assert now[name] == old[name], name  # not touched by the later migrations
        assert now["tickets"] == [] and now["scheduled_jobs"] == []  # the backup's moment
        engine = desk.engine()
        assert "token_version" in {c["name"] for c in inspect(engine).get_columns("agents")}
        engine.dispose()


class TestRefusals:
    def test_foreign_damaged_or_mismatched_files_leave_the_database_as_it_was(
        self, desk: Desk
    ) -> None:
        fill(desk)
        good = backup_to(desk)
        files = desk.tmp / "bad"
        files.mkdir()
        (files / "notes.txt").write_text("not a backup\n")
        (files / "no-manifest.zip").write_bytes(_zip({"database.sqlite3": b"x"}))
        (files / "other.zip").write_bytes(_zip({"manifest.json": b'{"format": "pgbackrest"}'}))
        (files / "truncated.tzbackup").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        with zipfile.ZipFile(good) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            payload = bytearray(zf.read(manifest["database"]))
        payload[len(payload) // 2] ^= 0xFF
        (files / "flipped.tzbackup").write_bytes(
            _zip({"manifest.json": json.dumps(manifest).encode(), manifest["database"]: payload})
        )
        other_engine, other_payload = (
            ("postgresql", "database.pgdump") if desk.backend == "sqlite"
            else ("sqlite", "database.sqlite3")
        )  # fmt: skip
        refusals = {
            files / "missing.tzbackup": "no backup file at",
            files / "notes.txt": "is not a TierZero backup, or it is damaged",
            files / "no-manifest.zip": "is not a TierZero backup (it has no manifest.json)",
            files / "other.zip": "is not a TierZero backup (its manifest.json is not ours)",
            files / "truncated.tzbackup": "is not a TierZero backup, or it is damaged",
            files / "flipped.tzbackup": "is damaged",
            rewritten(good, files / "newer.tzbackup", format_version=2): "made by a newer TierZero",
            rewritten(
                good, files / "engine.tzbackup", engine=other_engine, database=other_payload
            ): ("moving between engines is not supported"),
            rewritten(good, files / "future.tzbackup", schema_revision="9999"): (
                "at schema revision 9999, which this TierZero does not know"
            ),
            rewritten(good, files / "rows.tzbackup", rows={**manifest["rows"], "tickets": 5}): (
                "the backup recorded 5" if desk.backend == "postgresql" else "differs from its"
            ),
        }
        sqlite_file = _sqlite_file(desk)
        before = snapshot(desk)
        file_before = sqlite_file.read_bytes() if sqlite_file else None

        for path, message in refusals.items():
            refused = run("restore", str(path), "--yes")
            assert refused.exit_code == 1, (path.name, refused.output)
            assert message in " ".join(refused.output.split()), (path.name, refused.output)
            assert "Traceback" not in refused.output

        if sqlite_file:
            assert sqlite_file.read_bytes() == file_before
        assert snapshot(desk) == before
        assert not list((sqlite_file or desk.tmp).parent.glob(".*restore-*"))  # nothing staged

    def test_a_database_in_use_is_not_replaced(self, desk: Desk) -> None:
        fill(desk)
        path = backup_to(desk)
        engine = make_engine(desk.url)  # like the api: a pooled connection that has read
        with unit_of_work(make_session_factory(engine)) as session:
            make_conversation(session)
        after_backup = snapshot(desk)
        try:
            refused = run("restore", str(path), "--yes")
        finally:
            engine.dispose()

        assert refused.exit_code == 1
        assert "stop TierZero" in refused.output and "in use" in refused.output
        assert snapshot(desk) == after_backup
        assert run("restore", str(path), "--yes").exit_code == 0  # once it is stopped

    def test_restore_asks_first(self, desk: Desk) -> None:
        path = backup_to(desk)
        declined = CliRunner().invoke(app, ["restore", str(path)], input="n\n")
        assert declined.exit_code == 1 and "Replace everything in the" in declined.output


def test_a_missing_postgresql_tool_is_named_and_no_password_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierzero.settings import get_settings

    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump anywhere
    monkeypatch.setenv("TIERZERO_DATABASE_URL", "postgresql://desk:s3cret-pw@127.0.0.1:1/desk")
    monkeypatch.setenv("TIERZERO_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        made = run("backup", "--to", str(tmp_path / "desk.tzbackup"))
    finally:
        get_settings.cache_clear()
    assert made.exit_code == 1
    assert "pg_dump is not on PATH" in made.output and "s3cret-pw" not in made.output


def _zip(members: dict[str, bytes | bytearray]) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, bytes(data))
    return buffer.getvalue()


def _sqlite_file(desk: Desk) -> Path | None:
    return Path(desk.url.removeprefix("sqlite:///")) if desk.backend == "sqlite" else None
