"""The committed workflow diagram is what the state machine draws today.

After changing TicketWorkflow (a new state, a new event) run ``flask help diagram`` and commit
ticketing/static/help/workflow.*.svg; until then this test fails.
"""

from __future__ import annotations

import re

import pytest

from ticketing.help import diagram, svg


@pytest.mark.parametrize("lang", svg.LANGUAGES)
def test_committed_diagram_matches_the_machine(app, lang):
    committed = svg.path_for(lang).read_text(encoding="utf-8")
    assert committed == svg.render(lang), (
        f"{svg.path_for(lang)} is out of date: run `flask help diagram` and commit it"
    )


def test_every_state_and_transition_is_drawn(app):
    text = svg.render("en")
    for state, _initial, _final in diagram.states():
        assert f'id="state-{state}"' in text
    arrows = set(re.findall(r'data-event="(\w+)" data-from="(\w+)" data-to="(\w+)"', text))
    assert arrows == {(t.event, t.source, t.target) for t in diagram.transitions()}


def test_diagram_fits_a_phone(app):
    text = svg.render("id")
    width = int(re.search(r'viewBox="0 0 (\d+) ', text).group(1))
    assert width <= 340
    assert all(len(line) <= 44 for line in re.findall(r">([^<>]+)</text>", text))


@pytest.mark.indonesian
def test_help_page_shows_the_diagram_without_graphviz(app, client, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    page = client.get("/help").get_data(as_text=True)
    assert "help/workflow.id.svg" in page
    assert client.get("/static/help/workflow.id.svg").status_code == 200


def test_the_page_reserves_the_diagrams_space(app, client):
    """Width and height on the image: nothing below it jumps when it arrives (layout shift)."""
    from ticketing.help import svg

    page = client.get("/help").get_data(as_text=True)  # English in the tests
    width, height = svg.size("en")
    head = svg.path_for("en").read_text()[:400]
    assert f'width="{width}" height="{height}"' in head and height > width
    assert f'width="{width}" height="{height}"' in page
