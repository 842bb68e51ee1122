"""Flask commands: regions, categories, demo data, users."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ticketing.errors import ServiceError
from ticketing.extensions import db
from ticketing.vocabulary import Role

regions_cli = AppGroup("regions", help="Provinces and districts.")
categories_cli = AppGroup("categories", help="Ticket categories.")
demo_cli = AppGroup("demo", help="Demo data for East Java.")
users_cli = AppGroup("users", help="User accounts.")
rollups_cli = AppGroup("rollups", help="Dashboard rollups (docs/performance.md).")


@rollups_cli.command("check")
@click.option("--limit", default=50, show_default=True, help="Differences to list at most.")
def rollups_check(limit: int) -> None:
    """Recompute the rollups from the tickets and list every row that differs (exit 1 if any)."""
    from ticketing import rollups

    found = rollups.differences(db.session.connection(), limit=limit)
    db.session.rollback()
    for line in found:
        click.echo(line)
    if found:
        raise click.ClickException(f"{len(found)} rollup row(s) differ from the tickets.")
    click.echo("Rollups agree with the tickets.")


@rollups_cli.command("rebuild")
def rollups_rebuild() -> None:
    """Replace the rollups with rows recomputed from the tickets (one transaction)."""
    from ticketing import rollups

    written = rollups.rebuild(db.session.connection())
    db.session.commit()
    click.echo(", ".join(f"{table}: {rows} rows" for table, rows in written.items()))


@regions_cli.command("load")
def regions_load() -> None:
    """Load (or refresh) the 38 provinces and 514 districts; safe to run again."""
    from ticketing.services.regions import load_regions

    provinces, districts = load_regions()
    db.session.commit()
    click.echo(f"Regions loaded: {provinces} provinces, {districts} districts.")


@categories_cli.command("defaults")
def categories_defaults() -> None:
    """Create the programme's standard categories that are missing."""
    from ticketing.services.regions import ensure_default_categories

    added = ensure_default_categories()
    db.session.commit()
    click.echo(f"Categories added: {added}.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
@click.option("--tickets", default=500, show_default=True, help="How many tickets to create.")
def demo_seed(if_empty: bool, tickets: int) -> None:
    """Fill the database with the East Java demo."""
    from ticketing import demo

    if not demo.is_empty():
        if if_empty:
            click.echo("Demo data already present.")
            _print_logins()
            return
        raise click.ClickException("The database already has users; refusing to seed.")
    demo.seed(ticket_count=tickets)
    db.session.commit()
    click.echo(f"Demo data created: {tickets} tickets.")
    _print_logins()


def _print_logins() -> None:
    from ticketing import demo

    click.echo("")
    click.echo(f"Sign in at http://127.0.0.1:5000/login with the password {demo.DEMO_PASSWORD}")
    for email, what in demo.DEMO_LOGINS:
        click.echo(f"  {email:<32} {what}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
)
@click.option("--region", default=None, help="District code (35.78) or province code (35).")
@click.option("--password", default=None, help="Omit to be asked; empty for a one-time link.")
def users_create(
    email: str, name: str, role: str, region: str | None, password: str | None
) -> None:
    """Create a user account."""
    from ticketing.services import users

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.create_user(
            email=email, name=name, role=role, region_code=region, password=password or None
        )
    except ServiceError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}).")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    for group in (regions_cli, categories_cli, demo_cli, users_cli, rollups_cli, audit_cli):
        app.cli.add_command(group)
    register_db_roles(app)
    from ticketing.notify import commands as notify_commands

    notify_commands.register(app)
    from ticketing.admin import commands as admin_commands

    admin_commands.register(app)
    from ticketing.help import commands as help_commands

    help_commands.register(app)


def register_db_roles(app: Flask) -> None:
    """`flask db roles`: the owner and app roles of least privilege (PostgreSQL)."""
    from flask_migrate.cli import db as db_group

    if "roles" in db_group.commands:
        return

    @db_group.command("roles")
    @click.option("--owner", default="eskalasi_owner", show_default=True, help="Owner role.")
    @click.option("--app", "app_role", default="eskalasi_app", show_default=True, help="App role.")
    @click.option("--owner-password", envvar="DB_OWNER_PASSWORD", default=None)
    @click.option("--app-password", envvar="DB_APP_PASSWORD", default=None)
    @click.option("--show", is_flag=True, help="Only print the app role's grants.")
    def db_roles(
        owner: str, app_role: str, owner_password: str | None, app_password: str | None, show: bool
    ) -> None:
        """Create/refresh the owner role (migrations) and the app role (SELECT+INSERT only on
        ticket_events). Run as a superuser against DATABASE_URL, after `flask db upgrade`."""
        from ticketing import db_roles as roles

        if db.engine.dialect.name != "postgresql":
            raise click.ClickException("Database roles are for PostgreSQL only.")
        if not show:
            for statement in roles.setup_roles(
                db.engine, owner=owner, app=app_role,
                owner_password=owner_password, app_password=app_password,
            ):  # fmt: skip
                click.echo(statement + ";")
        for table, privileges in sorted(roles.grants(db.engine, app_role).items()):
            click.echo(f"{app_role} on {table}: {', '.join(privileges)}")


audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Replay every ticket's audit trail to its state (after a restore, for instance)."""
    from ticketing.audit_check import verify_trails

    report = verify_trails(db.session)
    click.echo(f"{report.tickets} tickets, {report.events} audit events checked.")
    for problem in report.problems[:50]:
        click.echo("PROBLEM " + problem)
    if report.problems:
        raise click.ClickException(f"{len(report.problems)} trail(s) do not replay.")
    click.echo("Every audit trail replays to its ticket's state.")
