"""`tierzero customers …`: set a customer's plan by the id the company's website knows them by
(what a billing sync calls), and sign an id the way the website must (to try the widget)."""

from __future__ import annotations

from typing import Annotated

import typer

from tierzero.cli.console import clear_errors, console, fail, load_settings, migrated_database
from tierzero.db import unit_of_work

app = typer.Typer(help="Customers: plans and identity verification.", no_args_is_help=True)


@app.command("set")
def set_(
    external_id: Annotated[str, typer.Argument(help="the customer's id on the company's site")],
    plan: Annotated[str | None, typer.Option(help="a plan of the policy")] = None,
    name: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    language: Annotated[str | None, typer.Option(help="en | el | ru | sr")] = None,
) -> None:
    """Create or update the customer with this id (their next tickets follow the plan)."""
    from handoff import customers
    from handoff.policy import load
    from tierzero.languages import SUPPORTED_LANGUAGES

    if language is not None and language not in SUPPORTED_LANGUAGES:
        raise fail(f"language must be one of: {', '.join(SUPPORTED_LANGUAGES)}")
    with clear_errors():
        policy = load(load_settings().policy_path)
        with unit_of_work(migrated_database()) as session:
            customer = customers.update(
                session, policy, external_id=external_id, plan=plan, name=name, email=email,
                language=language,
            )  # fmt: skip
            console.print(f"[green]customer {customer.external_id}[/]: plan {customer.plan}")


@app.command("sign")
def sign(external_id: str) -> None:
    """The data-user-hash the website puts next to data-user-id (HMAC-SHA256 under
    TIERZERO_IDENTITY_SECRET); the website's server computes the same."""
    from handoff.identity import user_hash

    secret = load_settings().identity_secret
    if not secret:
        raise fail("TIERZERO_IDENTITY_SECRET is not set")
    print(user_hash(secret, external_id))
