"""The help page."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import get_locale

from ticketing.auth.access import public
from ticketing.help import bp, diagram, svg


@bp.route("/help")
@public
def index() -> str:
    """How the workflow runs and what each role does; readable before signing in."""
    # Drawn by ticketing/help/svg.py and committed (`flask help diagram`): no Graphviz needed.
    lang = str(get_locale() or "id")
    lang = lang if lang in svg.LANGUAGES else "id"
    return render_template(
        "help/index.html",
        diagram_url=url_for("static", filename=f"help/workflow.{lang}.svg"),
        transitions=diagram.transitions(),
        guard_labels=diagram.GUARD_LABELS,
    )
