"""The workflow diagram as SVG, drawn by our own code from TicketWorkflow (no Graphviz).

Each state is a box, in the order a ticket meets them (breadth-first from the initial state,
final states last); under each box, one arrow per way out: the action, and where it leads.
The picture is one column, 340 units wide, so it reads on a 360-pixel phone without zooming.
The files are committed (ticketing/static/help/workflow.<lang>.svg) so the help page needs
nothing installed; ``flask help diagram`` writes them again after the machine changes, and
tests/test_help_diagram.py fails while they differ from what the machine would give.
"""

from __future__ import annotations

import re
import textwrap
from collections import deque
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from flask_babel import force_locale

from ticketing.help.diagram import GUARD_LABELS, Transition, states, transitions
from ticketing.i18n import EVENT_LABELS, STATE_LABELS

FOLDER = Path(__file__).resolve().parent.parent / "static" / "help"
LANGUAGES = ("id", "en")
WIDTH = 340
BOX_W = 300
LINE = 16  # height of one text line
ROW = 18  # height of one way out
FILL = {"initial": "#fff4d6", "final": "#e6f6ea", "state": "#e3efff"}


def path_for(lang: str) -> Path:
    """Where the committed diagram of a language lives."""
    return FOLDER / f"workflow.{lang}.svg"


@cache
def size(lang: str) -> tuple[int, int]:
    """Width and height of the committed diagram: the page reserves its space (no shift)."""
    head = path_for(lang).read_text(encoding="utf-8")[:400]
    found = re.search(r'width="(\d+)" height="(\d+)"', head)
    return (int(found.group(1)), int(found.group(2))) if found else (WIDTH, WIDTH)


def _order() -> list[str]:
    """States breadth-first from the initial one; final states at the end."""
    all_states = states()
    initial = next(s for s, is_initial, _f in all_states if is_initial)
    final = [s for s, _i, is_final in all_states if is_final]
    out_of: dict[str, list[str]] = {}
    for t in transitions():
        out_of.setdefault(t.source, []).append(t.target)
    seen, queue, order = {initial}, deque([initial]), []
    while queue:
        state = queue.popleft()
        order.append(state)
        for target in out_of.get(state, []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    order += [s for s, _i, _f in all_states if s not in seen]
    return [s for s in order if s not in final] + [s for s in order if s in final]


def _text(x: int, y: int, text: str, *, size: int = 12, weight: str = "normal",
          fill: str = "#1d2330") -> str:  # fmt: skip
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}">'
        f"{escape(text)}</text>"
    )


def _way_out(t: Transition) -> str:
    label = str(EVENT_LABELS.get(t.event, t.event))
    if t.guard:
        label += f" ({GUARD_LABELS.get(t.guard, t.guard)})"
    return label


def render(lang: str) -> str:
    """The SVG text of the diagram in one language (deterministic: same machine, same bytes)."""
    with force_locale(lang):
        order = _order()
        finals = {s for s, _i, is_final in states() if is_final}
        initial = {s for s, is_initial, _f in states() if is_initial}
        ways: dict[str, list[Transition]] = {}
        for t in transitions():
            ways.setdefault(t.source, []).append(t)
        parts: list[str] = []
        y = 8
        for state in order:
            label_lines = textwrap.wrap(str(STATE_LABELS[state]), 38) or [state]
            height = 10 + LINE * len(label_lines)
            kind = "initial" if state in initial else "final" if state in finals else "state"
            border = 'stroke-width="2.5"' if state in finals else 'stroke-width="1"'
            parts.append(
                f'<g id="state-{state}"><rect x="20" y="{y}" width="{BOX_W}" height="{height}" '
                f'rx="8" fill="{FILL[kind]}" stroke="#0b5394" {border}/>'
            )
            for i, line in enumerate(label_lines):
                parts.append(_text(32, y + 4 + LINE * (i + 1) - 2, line, size=13, weight="bold"))
            parts.append("</g>")
            y += height + 4
            for t in ways.get(state, []):
                target = str(STATE_LABELS[t.target])
                lines = textwrap.wrap(f"{_way_out(t)} → {target}", 40)
                top = y
                for i, line in enumerate(lines):
                    parts.append(_text(56, y + 13 + i * 15, line, size=12, fill="#37415a"))
                bottom = y + 15 * len(lines) + 3
                parts.append(
                    f'<path d="M36 {top} V{bottom - 8} H50" fill="none" stroke="#5b6475" '
                    f'stroke-width="1.5" marker-end="url(#arrow)" '
                    f'data-event="{t.event}" data-from="{t.source}" data-to="{t.target}"/>'
                )
                y = bottom + 1
            y += 10
        title = escape(str(_title()))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {y}" '
        f'width="{WIDTH}" height="{y}" role="img" aria-labelledby="t" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">\n'
        f'<title id="t">{title}</title>\n'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0 0L10 5L0 10z" fill="#5b6475"/></marker>'
        "</defs>\n" + "\n".join(parts) + "\n</svg>\n"
    )


def _title() -> str:
    from flask_babel import gettext

    return gettext("The workflow of a ticket: its states and the actions that move it.")


def write_all() -> list[Path]:
    """Write the diagram of every language; returns the files written."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in LANGUAGES:
        path = path_for(lang)
        path.write_text(render(lang), encoding="utf-8")
        written.append(path)
    return written
