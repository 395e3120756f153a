"""`tierzero agents …`: create, list and change agents (tier, skills, languages, capacity, role)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from tierzero.cli.console import clear_errors, console, fail, migrated_database
from tierzero.db import unit_of_work

app = typer.Typer(help="Manage agents, leads, editors and admins.", no_args_is_help=True)

ROLES = ("agent", "lead", "editor", "admin")
TIERS = ("L1", "L2", "L3")


def _csv(value: str | None) -> list[str] | None:
    return None if value is None else [x.strip() for x in value.split(",") if x.strip()]


@app.command("add")
def add(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    role: Annotated[str, typer.Option(help=" | ".join(ROLES))] = "agent",
    tier: Annotated[str, typer.Option(help=" | ".join(TIERS))] = "L1",
    languages: Annotated[str, typer.Option(help="comma-separated, e.g. en,el")] = "en",
    skills: Annotated[str, typer.Option(help="comma-separated KB categories")] = "",
    chat_capacity: Annotated[int, typer.Option(min=0, max=50)] = 5,
    email_capacity: Annotated[int, typer.Option(min=0, max=50)] = 3,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an agent (password asked interactively or via --password)."""
    from handoff import agents
    from handoff.lifecycle import Role, Tier

    if role not in ROLES:
        raise fail(f"role must be one of: {', '.join(ROLES)}")
    if tier not in TIERS:
        raise fail("tier must be L1, L2 or L3")
    with clear_errors(), unit_of_work(migrated_database()) as session:
        agent = agents.create_agent(
            session, email=email, name=name or email.split("@")[0], password=password,
            role=Role(role), tier=Tier(tier), languages=_csv(languages) or ["en"],
            skills=_csv(skills) or [], chat_capacity=chat_capacity,
            email_capacity=email_capacity,
        )  # fmt: skip
        console.print(f"[green]created {agent.role} {agent.email} ({agent.tier})[/]")


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON array on stdout")] = False,
) -> None:
    """Every agent with role, tier, languages, skills, capacity and presence."""
    from handoff import agents
    from handoff.schemas import AgentRead

    with clear_errors(), unit_of_work(migrated_database(), read_only=True) as session:
        rows = [AgentRead.model_validate(a) for a in agents.list_agents(session)]
    if as_json:
        print(json.dumps([r.model_dump() for r in rows], ensure_ascii=False))
        return
    table = Table("id", "email", "role", "tier", "languages", "skills", "capacity", "presence")
    for a in rows:
        table.add_row(
            str(a.id), a.email + ("" if a.active else " (deactivated)"), a.role, a.tier,
            ",".join(a.languages), ",".join(a.skills),
            f"{a.chat_capacity} chats / {a.email_capacity} emails", a.presence,
        )  # fmt: skip
    console.print(table)


@app.command("set")
def set_(
    email: str,
    role: Annotated[str | None, typer.Option(help=" | ".join(ROLES))] = None,
    tier: Annotated[str | None, typer.Option(help=" | ".join(TIERS))] = None,
    languages: Annotated[str | None, typer.Option(help="comma-separated")] = None,
    skills: Annotated[str | None, typer.Option(help="comma-separated")] = None,
    chat_capacity: Annotated[int | None, typer.Option(min=0, max=50)] = None,
    email_capacity: Annotated[int | None, typer.Option(min=0, max=50)] = None,
) -> None:
    """Change an agent's role, tier, languages, skills or capacity."""
    from handoff import agents

    if role is not None and role not in ROLES:
        raise fail(f"role must be one of: {', '.join(ROLES)}")
    if tier is not None and tier not in TIERS:
        raise fail("tier must be L1, L2 or L3")
    with clear_errors(), unit_of_work(migrated_database()) as session:
        agent = agents.get_agent_by_email(session, email)
        if agent is None:
            raise fail(f"no agent with email {email}")
        agents.update_agent(
            session, agent.id, role=role, tier=tier, languages=_csv(languages),
            skills=_csv(skills), chat_capacity=chat_capacity, email_capacity=email_capacity,
        )  # fmt: skip
        console.print(f"[green]updated {agent.email}[/]")


@app.command("deactivate")
def deactivate(email: str) -> None:
    """Stop an agent from logging in; their open chats are re-queued."""
    from handoff import agents

    with clear_errors(), unit_of_work(migrated_database()) as session:
        agent = agents.get_agent_by_email(session, email)
        if agent is None:
            raise fail(f"no agent with email {email}")
        agents.update_agent(session, agent.id, active=False)
        console.print(f"[yellow]deactivated {agent.email}[/]")
