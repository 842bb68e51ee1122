"""The OpenAPI document (/api/v1/openapi.json) and a readable reference page drawn from it.

The page is rendered on the server from the same document: no script, no CDN, no inline
style (the coming Content-Security-Policy forbids them), readable on a phone and offline.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, current_app, json, render_template

from ticketing.api import problems
from ticketing.auth.access import public

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")

# Problems every operation may answer (besides what its decorators document).
_COMMON = {
    "400": "BAD_REQUEST",
    "401": "UNAUTHORIZED",
    "403": "FORBIDDEN",
    "404": "NOT_FOUND",
    "429": "TOO_MANY_REQUESTS",
}
_WRITES = {"409": "CONFLICT", "413": "REQUEST_ENTITY_TOO_LARGE", "415": "UNSUPPORTED_MEDIA_TYPE",
           "422": "UNPROCESSABLE_ENTITY"}  # fmt: skip


def document() -> dict[str, Any]:
    """The OpenAPI document of this app, with the problem responses every operation can give."""
    cached = current_app.extensions.get("ticketing_api_document")
    if cached is not None:
        return cached
    spec = copy.deepcopy(current_app.extensions["ticketing_api"].spec.to_dict())
    for operations in spec.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            extra = dict(_COMMON)
            if method in ("post", "put", "patch", "delete"):
                extra.update(_WRITES)
            for status, name in extra.items():
                responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
                spec["components"].setdefault("responses", {})
            for status in extra:
                _ensure_response(spec, extra[status])
    current_app.extensions["ticketing_api_document"] = spec
    return spec


def _ensure_response(spec: dict[str, Any], name: str) -> None:
    responses = spec["components"].setdefault("responses", {})
    if name not in responses:
        responses[name] = {
            "description": name.replace("_", " ").capitalize(),
            "content": {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }


@bp.route("/openapi.json")
@public
def openapi_json() -> Any:
    """The OpenAPI 3 document."""
    return current_app.response_class(json.dumps(document(), indent=2), mimetype="application/json")


@bp.route("/docs")
@public
def docs() -> str:
    """The reference page: every operation, its parameters, bodies, answers and problems."""
    spec = document()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                operations.append((path, method.upper(), operation))
    tags: dict[str, list[Any]] = {}
    for path, method, operation in operations:
        tags.setdefault((operation.get("tags") or ["api"])[0], []).append((path, method, operation))
    return render_template(
        "api/reference.html",
        spec=spec,
        tags=tags,
        problems=problems.PROBLEMS,
        schemas=spec.get("components", {}).get("schemas", {}),
        resolve=lambda ref: _resolve(spec, ref),
    )


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow a local $ref (one level) for display."""
    if isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {})
        return target
    return node
