"""Commands: `tokens create` for operators and scripts; the marketplace part of `demo seed`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.auth import Scope
from core.cli import register_seeded_probe, register_seeder
from core.errors import NotFound
from marketplace import services
from marketplace.demo import seed_accounts
from marketplace.demo_production import seed_production


@click.group("tokens", help="API tokens.")
def tokens_cli() -> None:
    pass


@tokens_cli.command("create")
@click.option("--email", required=True, help="The user the token acts for.")
@click.option(
    "--scope",
    type=click.Choice([scope.value for scope in Scope]),
    default="read",
    show_default=True,
)
@click.option("--name", default="shell", show_default=True, help="A label to recognise it by.")
@with_appcontext
def create_token(email: str, scope: str, name: str) -> None:
    """Print a new API token for EMAIL, and nothing else."""
    try:
        token = services.create_api_token_for_email(email, scope=Scope(scope), name=name)
    except NotFound as error:
        raise click.ClickException(str(error)) from None
    click.echo(token)


register_seeder("accounts", seed_accounts)
register_seeder("production", seed_production)
register_seeded_probe(lambda: services.count_companies() > 0)
