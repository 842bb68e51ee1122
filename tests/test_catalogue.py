"""Every message a user can see comes from the Indonesian catalogue.

test_translations.py checks that every extracted ``_()``/``_l()`` string is translated; these
checks make sure nothing escapes extraction: a service refusal raised with a plain or f-string
(it would reach the Indonesian interface in English), or a WTForms validator message.
"""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.pofile import read_po
from wtforms.i18n import messages_path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "ticketing" / "translations" / "id" / "LC_MESSAGES" / "messages.po"
REFUSALS = {"ServiceError", "InvalidInput", "PermissionDenied", "NotFound", "InvalidTransition",
            "ConflictError"}  # fmt: skip


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="id")


def test_every_service_refusal_is_born_translatable() -> None:
    offenders = []
    for path in sorted((ROOT / "ticketing").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in REFUSALS or not node.exc.args:
                continue
            message = node.exc.args[0]
            if isinstance(message, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, (
        "service refusals must be raised as _l('... %(x)s', x=...), not plain strings:\n"
        + "\n".join(offenders)
    )


def test_wtforms_validator_messages_are_translated() -> None:
    with (Path(messages_path()) / "wtforms.pot").open("rb") as f:
        wtforms = read_po(f)
    catalog = _catalog()
    missing = [
        str(m.id) for m in wtforms if m.id and not (catalog.get(m.id) and catalog.get(m.id).string)
    ]
    assert not missing, "WTForms messages without Indonesian:\n" + "\n".join(missing)


def test_library_messages_are_named_for_extraction() -> None:
    """pybabel reads only our code: every WTForms message is named in library_messages.py."""
    from ticketing.library_messages import MESSAGES, PLURALS

    with (Path(messages_path()) / "wtforms.pot").open("rb") as f:
        wtforms = read_po(f)
    named = set(MESSAGES) | set(PLURALS)
    unnamed = [str(m.id) for m in wtforms if m.id and m.id not in named]
    assert not unnamed, "add to ticketing/library_messages.py:\n" + "\n".join(unnamed)
    catalog = _catalog()
    untranslated = [m for m in named if not (catalog.get(m) and catalog.get(m).string)]
    assert not untranslated, untranslated


def test_a_validator_message_reaches_the_page_in_indonesian(app, client, world) -> None:
    from tests.factories import login

    app.config["BABEL_DEFAULT_LOCALE"] = "id"
    world.facilitator_a.locale = "id"
    from ticketing.extensions import db

    db.session.commit()
    login(client, world.facilitator_a)
    page = client.post("/tickets/new", data={"title": "", "description": ""})
    text = page.get_data(as_text=True)
    assert "Isian ini wajib diisi." in text
    assert "This field is required." not in text
