"""flask help diagram: write the workflow diagram's SVG files again from the state machine."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

help_cli = AppGroup("help", help="The help page.")


@help_cli.command("diagram")
def diagram_command() -> None:
    """Regenerate ticketing/static/help/workflow.<lang>.svg from TicketWorkflow."""
    from ticketing.help import svg

    for path in svg.write_all():
        click.echo(f"wrote {path}")


def register(app: Flask) -> None:
    """Attach the group to the app."""
    app.cli.add_command(help_cli)
