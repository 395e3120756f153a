"""`tierzero`: run the product, train the bot, migrate, manage the KB and agents."""

from __future__ import annotations

import secrets
import signal
import time
from typing import Annotated

import typer

from tierzero import migrate as migrations
from tierzero.cli import rasa_files
from tierzero.cli.console import clear_errors, console, fail, load_settings
from tierzero.cli.supervisor import Supervisor
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.settings import Settings

app = typer.Typer(
    name="tierzero",
    help="TierZero: chatbot-first self-service support desk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

from tierzero.cli.agents import app as agents_app  # noqa: E402
from tierzero.cli.backup import app as backup_app  # noqa: E402
from tierzero.cli.customers import app as customers_app  # noqa: E402
from tierzero.cli.demo import app as demo_app  # noqa: E402
from tierzero.cli.policy import app as policy_app  # noqa: E402
from tierzero.cli.report import report as report_command  # noqa: E402

app.add_typer(agents_app, name="agents")
app.add_typer(policy_app, name="policy")
app.add_typer(customers_app, name="customers")
app.add_typer(demo_app, name="demo")
app.add_typer(backup_app)  # the `backup` and `restore` commands
app.command("report")(report_command)

try:
    from tierzero.cli.kb import app as kb_app

    app.add_typer(kb_app, name="kb", help="Import, export, search and evaluate the KB.")
except ImportError:  # pragma: no cover - while the KB CLI is being built
    pass

#: One account per role (names are what customers and colleagues see; role and tier are in
#: var/demo-accounts.txt and the console's header).
DEMO_ACCOUNTS = (
    ("agent@nimbus.example", "Alex Morgan", "agent", "L1"),
    ("l2@nimbus.example", "Sam Petrović", "agent", "L2"),
    ("l3@nimbus.example", "Eli Novak", "agent", "L3"),
    ("teamlead@nimbus.example", "Terry Lee", "lead", "L2"),
    ("editor@nimbus.example", "Ena Kovač", "editor", "L1"),
    ("admin@nimbus.example", "Dana Ilić", "admin", "L2"),
)


def _session_factory(settings: Settings):  # type: ignore[no-untyped-def]
    return make_session_factory(make_engine(settings.database_url))


@app.command()
def migrate() -> None:
    """Apply database migrations (SQLite under var/ by default)."""
    settings = load_settings()
    with clear_errors():
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        migrations.upgrade(settings.database_url)
    console.print("[green]database is up to date[/]")


@app.command()
def train(
    force: Annotated[bool, typer.Option(help="Train even if nothing changed.")] = False,
) -> None:
    """Train the Rasa model when config, domain or bot data changed."""
    settings = load_settings()
    with clear_errors():
        try:
            with console.status("training the Rasa model (about a minute)…"):
                seconds = rasa_files.train(settings, force=force)
        except rasa_files.RasaSetupError as exc:
            raise fail(str(exc)) from None
    if seconds is None:
        console.print("Rasa model is up to date (nothing changed)")
    else:
        console.print(f"[green]Rasa model trained in {seconds:.1f} s[/]")


def _seed_demo(settings: Settings) -> list[tuple[str, str, str, str]]:
    """First start: import the demo KB and create demo accounts with random passwords."""
    from handoff import agents
    from handoff.lifecycle import Role, Tier
    from kb import service as kb_service

    created: list[tuple[str, str, str, str]] = []
    factory = _session_factory(settings)
    with unit_of_work(factory) as session:
        if kb_service.count_articles(session) == 0 and settings.kb_demo_path.exists():
            with console.status("importing the demo knowledge base…"):
                report = kb_service.import_file(session, settings.kb_demo_path, author="demo")
            console.print(
                f"imported the demo KB: {report.created} translations, {report.failed} errors"
            )
    credentials_file = settings.var_dir / "demo-accounts.txt"
    with unit_of_work(factory) as session:
        for email, name, role, tier in DEMO_ACCOUNTS:
            if agents.get_agent_by_email(session, email) is None:
                password = secrets.token_urlsafe(9)
                agents.create_agent(
                    session, email=email, name=name, password=password, role=Role(role),
                    tier=Tier(tier), languages=("en", "el", "ru", "sr"),
                )  # fmt: skip
                created.append((email, password, role, tier))
    if created:
        new_file = not credentials_file.exists()
        with credentials_file.open("a") as handle:
            if new_file:
                handle.write("# email\tpassword\trole\ttier  (demo accounts made on first start)\n")
            for email, password, role, tier in created:
                handle.write(f"{email}\t{password}\t{role}\t{tier}\n")
        credentials_file.chmod(0o600)
    return created


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _print_ready(settings: Settings, seconds: float) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    console.print(f"\n[bold green]TierZero is ready[/] in {seconds:.1f} s")
    console.print(f"  demo site with the chat widget: [link]{base}/[/link]")
    console.print(f"  help centre:                    [link]{base}/help[/link]")
    console.print(f"  agent console:                  [link]{base}/console[/link]")
    console.print(f"  API docs:                       [link]{base}/docs[/link]")
    console.print(f"  demo agent logins:              {settings.var_dir / 'demo-accounts.txt'}")
    if settings.smtp_listen:
        console.print(f"  mail to {settings.mail_address}:  smtp://{settings.smtp_listen}")
    else:
        console.print("  email:                          off (TIERZERO_SMTP_LISTEN=127.0.0.1:2525)")
    if settings.smtp_listen or settings.imap_url:
        out = (
            settings.smtp_url.split("@")[-1] if settings.smtp_url else "not set (TIERZERO_SMTP_URL)"
        )
        console.print(f"  replies sent through:           {out}")
    console.print("  press Ctrl-C to stop\n")


@app.command()
def run(
    train_model: Annotated[bool, typer.Option("--train/--no-train")] = True,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="api worker processes (needs PostgreSQL and Redis)."),
    ] = None,
    rasa_instances: Annotated[
        int | None,
        typer.Option(min=1, max=8, help="Rasa servers (needs PostgreSQL and Redis)."),
    ] = None,
) -> None:
    """Migrate, import the demo KB on first start, train if needed, start Rasa and the api."""
    from tierzero.cli.demo import offer_on_fresh_database

    overrides = {
        name: value
        for name, value in (("workers", workers), ("rasa_instances", rasa_instances))
        if value is not None
    }
    settings = load_settings(**overrides)
    started = time.monotonic()
    with clear_errors():
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        migrations.upgrade(settings.database_url)
        _seed_demo(settings)
        offer_on_fresh_database(settings)  # a demo month for the reports, on a fresh database
        if train_model:
            with console.status("training the Rasa model (only when its inputs changed)…"):
                seconds = rasa_files.train(settings)
            if seconds is not None:
                console.print(f"Rasa model trained in {seconds:.1f} s")
    # Ctrl-C and SIGTERM (a service manager) both stop the children: set explicitly, because a
    # process started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    supervisor = Supervisor(settings)
    try:  # whatever happens from here on (Ctrl-C while starting too), both children stop
        with clear_errors():
            supervisor.start_api()
            supervisor.start_rasa_servers()
            with console.status("starting Rasa and the api…"):
                supervisor.wait_ready()
        _print_ready(settings, time.monotonic() - started)
        code = supervisor.wait()
        console.print(f"[red]a process exited (code {code}); see {settings.var_dir / 'logs'}[/]")
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        supervisor.stop()
    console.print("stopped")


if __name__ == "__main__":
    app()
