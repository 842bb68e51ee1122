"""The help page."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from ticketing.auth.access import public
from ticketing.help import bp, diagram


@bp.route("/help")
@public
def index() -> str:
    """How the workflow runs and what each role does; readable before signing in."""
    svg = diagram.svg()
    return render_template(
        "help/index.html",
        # The SVG is produced by Graphviz from our own labels, which DOT escaping covers.
        diagram_svg=Markup(svg) if svg else None,  # noqa: S704
        transitions=diagram.transitions(),
        guard_labels=diagram.GUARD_LABELS,
    )
