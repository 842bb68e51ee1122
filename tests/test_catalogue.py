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


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="id")


# Every ServiceError subclass is a refusal a user reads (found, not listed: a new one counts).
def _refusal_names() -> set[str]:
    from ticketing.errors import ServiceError

    names, todo = set(), [ServiceError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


REFUSALS = _refusal_names()
TRANSLATORS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}
# The one translation call with a variable msgid: ServiceError.text translates a plain msgid.
VARIABLE_MSGID_ALLOWED = {("ticketing/errors.py", "ServiceError.text")}


def _call_name(node: ast.AST) -> str:
    if not isinstance(node, ast.Call):
        return ""
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _untranslatable(value: ast.AST | None) -> bool:
    """A message that never passes through the catalogue: a literal, an f-string, text glued
    or formatted in Python, a translation call with a non-literal msgid, or a dict of those."""
    if value is None:
        return False
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str)
    if isinstance(value, (ast.JoinedStr, ast.BinOp)):
        return True
    if isinstance(value, ast.Call):
        name = _call_name(value)
        if name == "format":
            return True
        if name in TRANSLATORS:
            first = value.args[0] if value.args else None
            return not (isinstance(first, ast.Constant) and isinstance(first.value, str))
        return False
    if isinstance(value, ast.Dict):
        return any(_untranslatable(v) for v in value.values)
    if isinstance(value, ast.IfExp):
        return _untranslatable(value.body) or _untranslatable(value.orelse)
    return False


def refusal_offenders(source: str, filename: str = "<source>") -> list[int]:
    """Lines where a refusal is raised with a message that escapes the catalogue.

    Names and subscripts (``raise InvalidInput(MESSAGES[field])``, ``raise InvalidInput(msg)``)
    are followed to what the module binds to them, in any scope.
    """
    tree = ast.parse(source, filename)
    bound: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        value: ast.AST | None = None
        if isinstance(node, ast.Assign):
            targets, value = list(node.targets), node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name) and value is not None:
                bound.setdefault(target.id, []).append(value)
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                # MESSAGES["x"] = f"..." adds an entry to the dict MESSAGES.
                bound.setdefault(target.value.id, []).append(ast.Dict([None], [value]))

    def escapes(message: ast.AST) -> bool:
        if _untranslatable(message):
            return True
        if isinstance(message, ast.Subscript):
            message = message.value
        if isinstance(message, ast.Name):
            return any(_untranslatable(v) for v in bound.get(message.id, []))
        return False

    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or _call_name(node.exc) not in REFUSALS:
            continue
        assert isinstance(node.exc, ast.Call)
        message = node.exc.args[0] if node.exc.args else None
        for keyword in node.exc.keywords:
            if keyword.arg == "message":
                message = keyword.value
        if message is not None and escapes(message):
            lines.append(node.lineno)
    return lines


def test_every_service_refusal_is_born_translatable() -> None:
    offenders = []
    for path in sorted((ROOT / "ticketing").rglob("*.py")):
        for line in refusal_offenders(path.read_text(), str(path)):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert not offenders, (
        "service refusals must be raised as _l('... %(x)s', x=...), not plain strings:\n"
        + "\n".join(offenders)
    )


def test_the_refusal_check_catches_every_way_round_the_catalogue() -> None:
    """The check above is no stronger than the shapes it knows: prove each one is caught."""
    caught = {
        "direct f-string": 'raise InvalidInput(f"A {what} is required.")',
        "plain string": 'raise NotFound("Not found.")',
        "glued": 'raise PermissionDenied("No: " + reason)',
        "formatted": 'raise InvalidInput("A {} is required.".format(what))',
        "f-string inside _l": 'raise InvalidInput(_l(f"A {what} is required."))',
        "keyword": 'raise ConflictError(message=f"{number} changed")',
        "variable": 'note = f"A {what} is required."\nraise InvalidInput(note, field="note")',
        "dict of f-strings (the workflow's note messages)": (
            'NOTE = {"reason": f"A {x} is required.", "note": _l("A note is required.")}\n'
            "def check(field):\n    raise InvalidInput(NOTE[field], field='note')"
        ),
        "dict filled later": 'M = {}\nM["x"] = "plain"\nraise InvalidTransition(M[k])',
    }
    for shape, source in caught.items():
        assert refusal_offenders(source), shape
    fine = {
        "lazy with parameters": 'raise InvalidInput(_l("%(name)s: too large.", name=n))',
        "dict of lazy strings": (
            'NOTE = {"reason": _l("A reason is required."), "note": _l("A note is required.")}'
            "\nraise InvalidInput(NOTE[field], field='note')"
        ),
        "re-raised message": "raise InvalidInput(exc.message) from exc",
    }
    for shape, source in fine.items():
        assert not refusal_offenders(source), shape


def test_translation_calls_take_a_literal_msgid() -> None:
    """An f-string or a variable given to _()/_l() is never extracted into the catalogue."""
    offenders = []
    for path in sorted((ROOT / "ticketing").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(), str(path))
        parents = {
            id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _call_name(node) not in TRANSLATORS:
                continue
            if not node.args or not _untranslatable(node):
                continue
            names, up = [], parents.get(id(node))
            while up is not None:
                if isinstance(up, (ast.FunctionDef, ast.ClassDef)):
                    names.insert(0, up.name)
                up = parents.get(id(up))
            if (relative, ".".join(names)) not in VARIABLE_MSGID_ALLOWED:
                offenders.append(f"{relative}:{node.lineno}")
    assert not offenders, "translate literal msgids only:\n" + "\n".join(offenders)


def test_the_workflow_refusals_are_lazy_and_reach_indonesian(app, world) -> None:
    """The note-required refusals of the workflow: lazy, and Indonesian in the interface."""
    from flask_babel import force_locale
    from flask_babel.speaklater import LazyString

    from ticketing.errors import InvalidInput
    from ticketing.services import tickets as ticket_service
    from ticketing.workflow import NOTE_MISSING, NOTE_REQUIRED

    assert NOTE_MISSING and all(isinstance(m, LazyString) for m in NOTE_MISSING.values())
    assert set(NOTE_REQUIRED.values()) <= set(NOTE_MISSING)
    ticket = world.raise_ticket()
    try:
        ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="  ")
    except InvalidInput as exc:
        refusal = exc
    else:
        raise AssertionError("escalating without a reason was accepted")
    assert isinstance(refusal.message, LazyString)
    with force_locale("id"):
        indonesian = refusal.text
    with force_locale("en"):
        english = refusal.text
    assert english == "A reason is required." and indonesian != english
    assert indonesian == _catalog().get(english).string


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
