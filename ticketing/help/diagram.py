"""The workflow diagram, generated from TicketWorkflow itself so it cannot drift from the code.

The states and transitions are read from the machine class; labels come from the same
translated dictionaries the rest of the interface uses. Graphviz's ``dot`` turns the DOT
text into SVG when it is installed; otherwise the help page shows the same data as a table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from ticketing.i18n import EVENT_LABELS, STATE_LABELS
from ticketing.workflow import TicketWorkflow

GUARD_LABELS = {
    "resolved_by_district": _l("if the district resolved it"),
    "resolved_by_province": _l("if the province resolved it"),
    "resolved_by_central": _l("if the central PMO resolved it"),
}


@dataclass(frozen=True)
class Transition:
    """One arrow of the diagram."""

    source: str
    event: str
    target: str
    guard: str | None


def transitions() -> list[Transition]:
    """Every transition of the workflow, in the order the machine declares them."""
    result = []
    for state in TicketWorkflow.states:
        for transition in state.transitions:
            guards = [getattr(spec, "func", str(spec)) for spec in transition.cond]
            for event in transition.events:
                result.append(
                    Transition(
                        state.id, event.id, transition.target.id, guards[0] if guards else None
                    )
                )
    return result


def states() -> list[tuple[str, bool, bool]]:
    """(id, initial, final) for each state."""
    return [(s.id, bool(s.initial), bool(s.final)) for s in TicketWorkflow.states]


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_source() -> str:
    """The DOT text of the diagram, labelled in the current language."""
    lines = [
        "digraph workflow {",
        '  rankdir=TB; bgcolor="transparent"; nodesep=0.3; ranksep=0.45;',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="sans-serif",'
        " fontsize=11];",
        '  edge [fontname="sans-serif", fontsize=9];',
    ]
    for state_id, initial, final in states():
        extra = ', peripheries=2, fillcolor="#e6f6ea"' if final else ""
        if initial:
            extra = ', fillcolor="#fff4d6"'
        lines.append(f"  {state_id} [label={_quote(STATE_LABELS[state_id])}{extra}];")
    for item in transitions():
        parts = [str(EVENT_LABELS.get(item.event, item.event))]
        if item.guard:
            parts.append(f"({GUARD_LABELS.get(item.guard, item.guard)})")
        # DOT's own line break (\\n) goes between the separately escaped parts.
        label = "\\n".join(_quote(part)[1:-1] for part in parts)
        lines.append(f'  {item.source} -> {item.target} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines)


@lru_cache(maxsize=8)
def _render(source: str) -> str | None:
    dot = shutil.which("dot")
    if dot is None:
        return None
    try:
        # A fixed program and our own DOT text on stdin; no user input reaches it.
        done = subprocess.run(  # noqa: S603
            [dot, "-Tsvg"], input=source.encode(), capture_output=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    svg = done.stdout.decode("utf-8", "replace")
    # Inline in HTML: drop the XML prolog and DOCTYPE, keep the <svg> element.
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    # Scale with the page on a phone.
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="diagram-svg"', svg, count=1)


def svg() -> str | None:
    """The diagram as inline SVG (cached per language), or None when Graphviz is missing."""
    return _render(dot_source())
