"""Flask commands: `flask sla sweep`, `flask outbox send`, `flask jobs run` (for cron)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

sla_cli = AppGroup("sla", help="Deadlines: escalate overdue tickets, send reminders.")
outbox_cli = AppGroup("outbox", help="The e-mail outbox.")
jobs_cli = AppGroup("jobs", help="Scheduled work, for one cron line.")


@sla_cli.command("sweep")
@click.option("--batch-size", default=1000, show_default=True)
def sla_sweep(batch_size: int) -> None:
    """Escalate district tickets past their deadline; remind the province and facilitators."""
    from ticketing import sla

    result = sla.sweep(batch_size=batch_size)
    click.echo(f"SLA sweep: {result}.")


@outbox_cli.command("send")
@click.option("--batch-size", default=50, show_default=True)
def outbox_send(batch_size: int) -> None:
    """Send pending e-mails over SMTP (MAIL_SERVER ...); failures retry later."""
    from ticketing import notifications

    try:
        result = notifications.send_outbox(batch_size=batch_size)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Outbox: {result}.")


@outbox_cli.command("digest")
def outbox_digest() -> None:
    """Queue the daily digest e-mail of every user who chose it (run once a day from cron;
    safe on several hosts at once). `flask outbox send` delivers it."""
    from ticketing import notifications

    click.echo(f"Digests queued: {notifications.send_digests()}.")


@jobs_cli.command("run")
def jobs_run() -> None:
    """The SLA sweep, then the outbox (skipped when MAIL_SERVER is not set)."""
    from flask import current_app

    from ticketing import notifications, sla

    click.echo(f"SLA sweep: {sla.sweep()}.")
    if current_app.config.get("MAIL_SERVER"):
        click.echo(f"Outbox: {notifications.send_outbox()}.")
    else:
        click.echo("Outbox: MAIL_SERVER is not set; e-mails stay queued.")


def register(app: Flask) -> None:
    """Attach the sla, outbox and jobs command groups."""
    for group in (sla_cli, outbox_cli, jobs_cli):
        app.cli.add_command(group)
