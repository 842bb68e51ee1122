"""The help page."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ticketing.auth.access import public
from ticketing.help import bp, diagram, svg
from ticketing.vocabulary import Role

# What each role does, in the order the help page shows them (every Role has an entry:
# tests/test_vocabulary.py).
ROLE_HELP: dict[Role, list[object]] = {
    Role.FACILITATOR: [
        _l(
            "Raise a ticket for a problem one of your schools cannot solve on its own. Choose"
            " the school and the category, describe the problem, and add photos or documents"
            " if they help."
        ),
        _l(
            "When a PMO marks your ticket as resolved, check at the school whether it is"
            " really fixed."
        ),
        _l(
            "If it is fixed, verify it: only then is the ticket closed. If it is not, reopen it"
            " and say why; it goes back to whoever resolved it."
        ),
        _l(
            "You may withdraw a ticket that is no longer needed, as long as it is not resolved yet."
        ),
    ],
    Role.DISTRICT_PMO: [
        _l(
            "Every new ticket from a school in your district arrives in your list. Assign it to"
            " yourself or to another officer of your district."
        ),
        _l(
            "Follow it up and resolve it, writing down what was done. An honest answer such as"
            " 'budgeted for next year' is also an answer."
        ),
        _l("If the district cannot solve it, escalate it to the province and explain why."),
    ],
    Role.PROVINCE_PMO: [
        _l(
            "Your list shows the tickets escalated by the districts of your province; you can"
            " also browse every ticket of the province."
        ),
        _l(
            "Resolve an escalated ticket and write down what was done, or return it to the"
            " district with guidance."
        ),
        _l(
            "If the province cannot solve an escalated ticket, refer it to the central PMO"
            " and explain why."
        ),
    ],
    Role.CENTRAL_PMO: [
        _l(
            "Your list shows the tickets the provinces referred to you, from every province."
            " A ticket you resolve goes to the facilitator for verification; if the fix is"
            " rejected, it comes back to you."
        ),
        _l(
            "Resolve a referred ticket and write down what was done, or return it to the"
            " province with guidance."
        ),
    ],
    Role.EXPERT: [
        _l(
            "A PMO officer may ask you, as a Widyaprada or resource person, about a ticket of"
            " your field. You see only the tickets you were asked about; answer in writing, and"
            " add a follow-up if something changes. The ticket stays with the officer."
        ),
    ],
    Role.ADMIN: [
        _l(
            "Create accounts, assign facilitators to schools, keep the school list and the"
            " deadlines of your province up to date. Administrators do not handle tickets."
        ),
    ],
}


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
        diagram_size=svg.size(lang),
        transitions=diagram.transitions(),
        guard_labels=diagram.GUARD_LABELS,
        role_help=ROLE_HELP,
    )
