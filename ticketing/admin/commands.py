"""Flask commands for administration: the same services as the pages, run on the server.

Commands act as the server (no signed-in administrator); --province limits imports to one
province as a province administrator's would be. Every change is logged with no actor.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from ticketing.cli import users_cli
from ticketing.errors import ServiceError
from ticketing.extensions import db
from ticketing.models import School, User

schools_cli = AppGroup("schools", help="Schools of the programme.")
assignments_cli = AppGroup("assignments", help="Which facilitator supports which school.")
tickets_cli = AppGroup("tickets", help="Ticket administration.")


def _user(email: str) -> User:
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"No user with the e-mail {email}.")
    return user


def _school(npsn: str) -> School:
    school = db.session.execute(
        select(School).where(School.npsn == npsn.strip().upper())
    ).scalar_one_or_none()
    if school is None:
        raise click.ClickException(f"No school with NPSN {npsn}.")
    return school


def _import(kind: str, path: str, province: str | None, dry_run: bool) -> None:
    """Validate, print every refused row, and write unless --dry-run."""
    import time

    from ticketing.services import imports

    started = time.perf_counter()
    result = imports.run(
        kind, Path(path), actor=None, filename=Path(path).name, confirm=not dry_run,
        province_code=province,
    )  # fmt: skip
    if result.file_error:
        raise click.ClickException(result.file_error)
    for error in result.errors:
        click.echo(f"line {error.line}: {error.message}", err=True)
    if not dry_run:
        db.session.commit()
    elapsed = time.perf_counter() - started
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{result.rows} rows: {result.created} new, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.refused} refused ({verb} written; {elapsed:.2f} s)."
    )


def _import_command(group: AppGroup, kind: str, columns: str) -> None:
    @group.command("import", help=f"Import {kind} from a CSV or XLSX file ({columns}).")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--province", default=None, help="Refuse rows outside this province (e.g. 52).")
    @click.option("--dry-run", is_flag=True, help="Only check the file; write nothing.")
    def command(path: str, province: str | None, dry_run: bool) -> None:
        _import(kind, path, province, dry_run)


_import_command(
    schools_cli, "schools", "npsn, nama, jenjang, status, kode_kabupaten_kota, angkatan"
)
_import_command(users_cli, "users", "nama, email, peran, kode_wilayah")
_import_command(assignments_cli, "assignments", "email, npsn")


def _run(action: Callable[[], object]) -> None:
    """Run one service call, commit, and turn a refusal into a command-line error."""
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()


@users_cli.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Disable an account; its sessions end at once."""
    from ticketing.services import users

    user = _user(email)
    _run(lambda: users.set_active(None, user, False))
    click.echo(f"{user.email} disabled.")


@users_cli.command("enable")
@click.argument("email")
def users_enable(email: str) -> None:
    """Enable a disabled account."""
    from ticketing.services import users

    user = _user(email)
    _run(lambda: users.set_active(None, user, True))
    click.echo(f"{user.email} enabled.")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role")
@click.option("--region", default=None, help="District code (52.01) or province code (52).")
def users_set_role(email: str, role: str, region: str | None) -> None:
    """Change an account's role (fasilitator, pmo_kabupaten, pmo_provinsi, admin) and scope."""
    from ticketing.services import users

    user = _user(email)
    internal = users.parse_role(role)
    if internal is None:
        raise click.ClickException(f"Unknown role {role!r}.")
    _run(lambda: users.update_user(None, user, name=user.name, role=internal, region_code=region))
    click.echo(f"{user.email}: {user.role} {user.district_code or user.province_code or ''}")


@users_cli.command("link")
@click.argument("email")
def users_link(email: str) -> None:
    """Print a one-time link to set the password (and e-mail it when mail is configured)."""
    from ticketing.services import users

    user = _user(email)
    links: list[str] = []
    _run(lambda: links.append(users.send_link(None, user)))
    click.echo(links[0])


@assignments_cli.command("add")
@click.argument("email")
@click.argument("npsn")
def assignments_add(email: str, npsn: str) -> None:
    """Give a facilitator a school."""
    from ticketing.services import schools

    user, school = _user(email), _school(npsn)
    _run(lambda: schools.add_assignment(None, user, school))
    click.echo(f"{user.email} supports {school.npsn} {school.name}.")


@assignments_cli.command("remove")
@click.argument("email")
@click.argument("npsn")
def assignments_remove(email: str, npsn: str) -> None:
    """Take a school away from a facilitator."""
    from ticketing.services import schools

    user, school = _user(email), _school(npsn)
    _run(lambda: schools.remove_assignment(None, user, school))
    click.echo(f"{user.email} no longer supports {school.npsn}.")


@schools_cli.command("deactivate")
@click.argument("npsn")
def schools_deactivate(npsn: str) -> None:
    """Deactivate a school (no new tickets; history stays)."""
    from ticketing.services import schools

    school = _school(npsn)
    _run(lambda: schools.set_school_active(None, school, False))
    click.echo(f"{school.npsn} deactivated.")


@tickets_cli.command("hand-over")
@click.argument("departing_email")
@click.option("--actor", "actor_email", required=True, help="The administrator doing it.")
@click.option("--note", default=None)
def tickets_hand_over(departing_email: str, actor_email: str, note: str | None) -> None:
    """Give each open ticket of a departing facilitator to their school's current facilitator."""
    from ticketing.services import schools

    departing, actor = _user(departing_email), _user(actor_email)
    reports: list[schools.HandOverReport] = []
    _run(lambda: reports.append(schools.hand_over_all(actor, departing, note=note)))
    for number, holder in reports[0].handed:
        click.echo(f"{number} -> {holder}")
    for number, reason in reports[0].skipped:
        click.echo(f"{number} not handed over: {reason}", err=True)


def register(app: Flask) -> None:
    """Attach the administration command groups (users commands join the existing group)."""
    for group in (schools_cli, assignments_cli, tickets_cli):
        app.cli.add_command(group)
