"""One-file backups of TierZero's database and restoring them (`tierzero backup` / `restore`).

A backup is a zip archive: ``manifest.json`` says what it is (format version, engine, Alembic
schema revision, rows per table, SHA-256 of the payload) and the payload is the database itself —
a SQLite copy made with SQLite's online backup API, or a ``pg_dump --format=custom`` archive taken
in an exported snapshot (so the manifest describes exactly what was dumped). Restore checks all of
it before it touches the database, replaces the database in one step (a file rename on SQLite; one
transaction on PostgreSQL) and then migrates it to this version's schema.

Rasa's tracker store is not in a backup: it is Rasa's working dialogue state, while the
conversations, messages and tickets live in TierZero's database (docs/operations.md, Backups).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import zipfile
import zlib
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Annotated, Final, Literal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from tierzero import clock, migrate
from tierzero.db import Base, driver_url
from tierzero.errors import TierZeroError

Engine = Literal["sqlite", "postgresql"]
Payload = Literal["database.sqlite3", "database.pgdump"]

FORMAT: Final = "tierzero-backup"
FORMAT_VERSION: Final = 1
MANIFEST = "manifest.json"
PAYLOAD: dict[Engine, Payload] = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_CHUNK = 1 << 20
_NAME = r"^[a-z_][a-z0-9_]{0,62}$"  # table and schema names TierZero makes (safe in SQL text)


class BackupError(TierZeroError):
    pass


class Manifest(BaseModel):
    """``manifest.json``: what the backup holds, checked before anything is restored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["tierzero-backup"]
    format_version: Literal[1]
    engine: Engine
    schema_revision: str = Field(pattern=r"^[0-9A-Za-z_]{1,32}$")
    created_at: datetime
    tierzero_version: str = Field(max_length=64)
    database: Payload
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    #: PostgreSQL: the schema TierZero's tables are in (the connection's current schema).
    pg_schema: str | None = Field(default=None, pattern=_NAME)
    rows: dict[Annotated[str, StringConstraints(pattern=_NAME)], Annotated[int, Field(ge=0)]]


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    schema_revision: str  # after migrating: this version's head


# --- the database a URL names ------------------------------------------------------------------


def engine_of(database_url: str) -> Engine:
    backend = make_url(database_url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return "sqlite" if backend == "sqlite" else "postgresql"


def describe(database_url: str) -> str:
    """The database for people to read: never its password."""
    url = make_url(database_url)
    if engine_of(database_url) == "sqlite":
        return f"SQLite database {_sqlite_path(database_url)}"
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return f"PostgreSQL database {shown}"


def _sqlite_path(database_url: str) -> Path:
    name = make_url(database_url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("back up a SQLite database in a file (TIERZERO_DATABASE_URL)")
    return Path(name).expanduser().resolve()


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore/psql without its password (which goes in the child's
    environment, so it is neither in the process list nor in any message)."""
    url: URL = make_url(database_url)
    env = dict(os.environ, PGAPPNAME="tierzero-backup")
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client tools "
            f"(e.g. the postgresql-client package) matching the server's version"
        )
    return found


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {_first_lines(done.stderr)}")


def _first_lines(output: bytes, count: int = 3) -> str:
    lines = [line.strip() for line in output.decode(errors="replace").splitlines() if line.strip()]
    return " / ".join(lines[:count]) or "no message"


def _facts(conn: Connection, schema: str | None = None) -> tuple[str | None, dict[str, int]]:
    """The schema revision and the rows of every table, as this connection sees them."""
    revision = MigrationContext.configure(conn).get_current_revision()
    count = select(func.count())
    rows = {
        name: conn.execute(count.select_from(table(name, schema=schema))).scalar_one()
        for name in sorted(inspect(conn).get_table_names(schema=schema))
        if not name.startswith("sqlite_")
    }
    return revision, rows


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None, "migrations/versions is empty"
    return head


def _is_known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except CommandError:  # alembic's "no such revision" (and "ambiguous")
        return False


# --- backing up --------------------------------------------------------------------------------


def create(database_url: str, destination: Path, *, overwrite: bool = False) -> Manifest:
    """Write a backup of the database to ``destination`` (0600; complete or not there at all)."""
    engine = engine_of(database_url)
    destination = destination.expanduser().resolve()
    if destination.is_dir():
        raise BackupError(f"{destination} is a directory; name the backup file")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists; choose another name or pass --force")
    if engine == "sqlite" and destination == _sqlite_path(database_url):
        raise BackupError("the backup file cannot be the database itself")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tierzero-backup-", dir=destination.parent) as work:
        payload = Path(work) / PAYLOAD[engine]
        pg_schema: str | None = None
        if engine == "sqlite":
            revision, rows = _sqlite_snapshot(_sqlite_path(database_url), payload)
        else:
            revision, rows, pg_schema = _postgres_snapshot(database_url, payload)
        if revision is None:
            raise BackupError(
                f"{describe(database_url)} has no schema revision (never migrated?); "
                "check TIERZERO_DATABASE_URL or run `tierzero migrate`"
            )
        digest, size = _digest(payload)
        manifest = Manifest(
            format=FORMAT, format_version=FORMAT_VERSION, engine=engine,
            schema_revision=revision, created_at=clock.utcnow(), tierzero_version=_version(),
            database=PAYLOAD[engine], sha256=digest, size=size, pg_schema=pg_schema, rows=rows,
        )  # fmt: skip
        archive = Path(work) / "backup.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr(MANIFEST, manifest.model_dump_json(indent=2) + "\n")
            # a pg_dump custom archive is compressed already; a SQLite file shrinks a lot
            compression = zipfile.ZIP_DEFLATED if engine == "sqlite" else zipfile.ZIP_STORED
            zf.write(payload, PAYLOAD[engine], compress_type=compression)
        archive.chmod(0o600)  # personal data and password hashes
        _fsync(archive)
        os.replace(archive, destination)
        _fsync(destination.parent)
    return manifest


def _sqlite_snapshot(source: Path, copy: Path) -> tuple[str | None, dict[str, int]]:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    # mode=rw: never create an empty database where the real one is missing
    try:
        with (
            closing(sqlite3.connect(source.as_uri() + "?mode=rw", uri=True, timeout=10)) as live,
            closing(sqlite3.connect(copy)) as target,
        ):
            # one step: the whole copy is read in one read transaction, a consistent snapshot;
            # under WAL the api's writers carry on meanwhile
            live.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    return _sqlite_facts(copy)


def _sqlite_facts(path: Path) -> tuple[str | None, dict[str, int]]:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            check = conn.exec_driver_sql("PRAGMA quick_check").scalars().all()
            if check != ["ok"]:
                raise BackupError(f"the SQLite database is damaged: {'; '.join(check[:3])}")
            return _facts(conn)
    finally:
        engine.dispose()


def _postgres_snapshot(database_url: str, dump: Path) -> tuple[str | None, dict[str, int], str]:
    pg_dump = _tool("pg_dump")
    conninfo, env = _libpq(database_url)
    engine = create_engine(
        driver_url(database_url), poolclass=NullPool, isolation_level="REPEATABLE READ"
    )
    try:
        with engine.connect() as conn:
            # pg_dump reads in this transaction's snapshot: the revision and row counts below
            # are those of the dump, whatever the api writes meanwhile
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
            revision, rows = _facts(conn, schema)
            _run(
                [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                 f"--file={dump}", f"--dbname={conninfo}"],
                env,
            )  # fmt: skip
            conn.rollback()
    finally:
        engine.dispose()
    return revision, rows, str(schema)


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest(), path.stat().st_size


def _version() -> str:
    try:
        return metadata.version("tierzero")
    except metadata.PackageNotFoundError:
        return "unknown"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- reading and checking a backup -------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """What ``path`` says it is; refuses anything that is not a backup this version can read."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            raw = zf.read(MANIFEST)
    except KeyError:
        raise BackupError(f"{path} is not a TierZero backup (it has no {MANIFEST})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise BackupError(
            f"{path} is not a TierZero backup, or it is damaged (not a readable zip archive)"
        ) from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} is not a TierZero backup (its {MANIFEST} is not ours)")
    version = data.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise BackupError(
            f"{path} was made by a newer TierZero (backup format {version}; this version reads "
            f"format {FORMAT_VERSION}): restore it with that version"
        )
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise BackupError(f"{path} has a damaged {MANIFEST} ({where}: {problem['msg']})") from None
    if manifest.database != PAYLOAD[manifest.engine]:
        raise BackupError(f"{path} has a damaged {MANIFEST} (database: not {manifest.engine}'s)")
    return manifest


def check(path: Path, database_url: str) -> Manifest:
    """The backup's manifest, if it can be restored into this database by this version."""
    manifest = read_manifest(path)
    engine = engine_of(database_url)
    if manifest.engine != engine:
        raise BackupError(
            f"{path} is a backup of a {ENGINE_NAMES[manifest.engine]} database, but "
            f"TIERZERO_DATABASE_URL names a {ENGINE_NAMES[engine]} one; restore it into "
            f"{ENGINE_NAMES[manifest.engine]} (moving between engines is not supported)"
        )
    if not _is_known(manifest.schema_revision):
        raise BackupError(
            f"{path} is at schema revision {manifest.schema_revision}, which this TierZero does "
            f"not know (its newest is {head_revision()}); restore it with the version that made "
            f"it ({manifest.tierzero_version}) or a newer one"
        )
    return manifest


def _extract(path: Path, manifest: Manifest, destination: Path) -> None:
    """The payload, written to ``destination`` only if it is exactly what the manifest says."""
    digest = hashlib.sha256()
    size = 0
    try:
        with (
            zipfile.ZipFile(path) as zf,
            zf.open(manifest.database) as member,
            destination.open("wb") as out,
        ):
            while chunk := member.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except KeyError:
        raise BackupError(f"{path} is damaged: it has no {manifest.database}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BackupError(f"{path} is damaged: {exc}") from None
    if (digest.hexdigest(), size) != (manifest.sha256, manifest.size):
        raise BackupError(f"{path} is damaged: {manifest.database} does not match its checksum")


# --- restoring ---------------------------------------------------------------------------------


def restore(database_url: str, path: Path) -> Restored:
    """Replace the database with the backup at ``path``, then migrate it to the current head.

    Nothing is changed unless the whole backup checks out and the database is not in use."""
    manifest = check(path, database_url)
    if manifest.engine == "sqlite":
        _restore_sqlite(_sqlite_path(database_url), path, manifest)
    else:
        _restore_postgres(database_url, path, manifest)
    revision = _current_revision(database_url)
    if revision != head_revision():
        raise BackupError(f"restored, but the schema is at {revision}, not {head_revision()}")
    return Restored(manifest=manifest, schema_revision=revision)


def _current_revision(database_url: str) -> str | None:
    engine = create_engine(driver_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _restore_sqlite(target: Path, path: Path, manifest: Manifest) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.restore-", dir=target.parent)
    os.close(fd)
    staged = Path(name)
    try:
        _extract(path, manifest, staged)
        revision, rows = _sqlite_facts(staged)
        if (revision, rows) != (manifest.schema_revision, manifest.rows):
            raise BackupError(f"{path} is damaged: its database differs from its {MANIFEST}")
        _refuse_if_in_use(target)  # before the migrations; again just before the swap
        migrate.upgrade(f"sqlite:///{staged}")
        with closing(sqlite3.connect(staged)) as conn:  # one file again, no -wal beside it
            conn.execute("PRAGMA journal_mode=DELETE")
        if target.exists():  # the permissions the operator gave it (mkstemp makes 0600)
            staged.chmod(stat.S_IMODE(target.stat().st_mode))
        _fsync(staged)
        _refuse_if_in_use(target)
        os.replace(staged, target)  # atomic: the old database or the restored one, never half
        _fsync(target.parent)
    finally:
        for leftover in (staged, *_sidecars(staged)):
            leftover.unlink(missing_ok=True)


def _sidecars(database: Path) -> list[Path]:
    return [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _refuse_if_in_use(target: Path) -> None:
    """Refuse while another connection has the database open (the api keeps some open all
    the time): leaving WAL mode needs every other connection gone. Replacing the file under a
    running api would leave it writing to the old one."""
    in_use = f"{target} is in use (is the api running? stop TierZero first, then restore)"
    if not target.exists():
        # a -wal left beside a deleted database would be replayed into the restored one
        if any(p.exists() for p in _sidecars(target)):
            raise BackupError(f"{in_use}; or remove the stale -wal/-shm files beside it")
        return
    conn = sqlite3.connect(target.as_uri() + "?mode=rw", uri=True, timeout=1)
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:  # "database is locked"
        raise BackupError(in_use) from exc
    except sqlite3.DatabaseError:  # not a database at all: replacing it is what restore is for
        mode = "delete"
    finally:
        conn.close()
    if mode != "delete" or any(p.exists() for p in _sidecars(target)):
        raise BackupError(in_use)


def _restore_postgres(database_url: str, path: Path, manifest: Manifest) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    schema = manifest.pg_schema or "public"
    conninfo, env = _libpq(database_url)
    with tempfile.TemporaryDirectory(prefix="tierzero-restore-") as work:
        dump = Path(work) / manifest.database
        _extract(path, manifest, dump)
        _run([pg_restore, "--list", f"--file={os.devnull}", str(dump)])  # a readable archive
        extras = _refuse_if_busy_and_list_extras(database_url, schema, manifest)
        # One transaction: drop TierZero's tables the backup does not have (it is older), load
        # the dump (--clean drops what it recreates), check what arrived, commit. Any error
        # (ON_ERROR_STOP) and the database stays as it was.
        before = "BEGIN;\n" + "".join(
            f'DROP TABLE IF EXISTS "{schema}"."{name}" CASCADE;\n' for name in extras
        )
        after = _postgres_checks(schema, manifest) + "COMMIT;\n"
        _load_postgres(
            [psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1",
             f"--dbname={conninfo}"],
            [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--file=-", str(dump)],
            env, before, after,
        )  # fmt: skip
    migrate.upgrade(database_url)


def _refuse_if_busy_and_list_extras(
    database_url: str, schema: str, manifest: Manifest
) -> list[str]:
    import tierzero.models  # noqa: F401  (every table on Base.metadata)

    engine = create_engine(driver_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            others = conn.exec_driver_sql(
                "SELECT coalesce(nullif(application_name, ''), 'pid ' || pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            ).scalars()
            users = sorted(set(others))
            if users:
                raise BackupError(
                    f"{describe(database_url)} is in use ({', '.join(users)}): stop TierZero "
                    "(the api) and anything else connected to it, then restore"
                )
            present = set(inspect(conn).get_table_names(schema=schema))
    finally:
        engine.dispose()
    ours = set(Base.metadata.tables) | {"alembic_version"}
    return sorted((present & ours) - set(manifest.rows))


def _postgres_checks(schema: str, manifest: Manifest) -> str:
    """SQL that aborts the restore's transaction unless every table holds the rows the backup
    recorded and the schema revision is the backup's (names and numbers validated already)."""
    checks = [
        f'  SELECT count(*) INTO found FROM "{schema}"."{name}";\n'
        f"  IF found <> {count} THEN RAISE EXCEPTION "
        f"'{name}: % rows restored, the backup recorded {count}', found; END IF;\n"
        for name, count in manifest.rows.items()
    ]
    revision = manifest.schema_revision
    checks.append(
        f'  IF (SELECT min(version_num) FROM "{schema}".alembic_version) IS DISTINCT FROM '
        f"'{revision}' THEN RAISE EXCEPTION 'schema revision differs from the backup''s'; END IF;\n"
    )
    body = "".join(checks)
    return f"RESET search_path;\nDO $tz$\nDECLARE found bigint;\nBEGIN\n{body}END\n$tz$;\n"


def _load_postgres(
    psql_command: list[str],
    restore_command: list[str],
    env: dict[str, str],
    before: str,
    after: str,
) -> None:
    """Pipe pg_restore's SQL into psql between ``before`` and ``after``; COMMIT only if
    pg_restore finished cleanly (else ROLLBACK), so a failure half-way changes nothing."""
    with tempfile.TemporaryFile() as psql_errors, tempfile.TemporaryFile() as restore_errors:
        psql = subprocess.Popen(
            psql_command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors,
            env=env,
        )  # fmt: skip
        dump = subprocess.Popen(
            restore_command, stdout=subprocess.PIPE, stderr=restore_errors, env=env
        )
        assert psql.stdin is not None and dump.stdout is not None
        psql_stopped = False
        try:
            psql.stdin.write(before.encode())
            shutil.copyfileobj(dump.stdout, psql.stdin, _CHUNK)
            dumped = dump.wait() == 0
            psql.stdin.write((after if dumped else "ROLLBACK;\n").encode())
        except BrokenPipeError:  # psql stopped at an error: its transaction is gone
            psql_stopped = True
        finally:
            if dump.poll() is None:
                dump.kill()
            dump.wait()
            dump.stdout.close()
            with suppress(BrokenPipeError):
                psql.stdin.close()
            psql.wait()
        if dump.returncode != 0 and not psql_stopped:
            restore_errors.seek(0)
            raise BackupError(
                f"pg_restore failed, nothing was changed: {_first_lines(restore_errors.read())}"
            )
        if psql.returncode != 0:
            psql_errors.seek(0)
            raise BackupError(
                f"restoring into PostgreSQL failed, nothing was changed: "
                f"{_first_lines(_errors_only(psql_errors.read()))}"
            )


def _errors_only(output: bytes) -> bytes:
    lines = output.splitlines()
    errors = [line for line in lines if b"ERROR" in line or b"FATAL" in line]
    return b"\n".join(errors or lines)
