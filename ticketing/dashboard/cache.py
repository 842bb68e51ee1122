"""A short-lived cache of dashboard figures (Flask-Caching), keyed by scope and filters.

A safety net only, off by default: the province and national pages read the rollups kept in
the same transaction as every ticket change (ticketing/rollups.py), so their figures are
fresh and cheap (docs/performance.md). An operator may switch it on for pages that still pass
over tickets (a district's schools, level or cohort filters, periods that are not whole
months) if they ever become slow. How stale: at most ``DASHBOARD_CACHE_SECONDS`` (default 0:
off; e.g. 60 for a minute). The key holds the scope's SQL and parameters, the
filters and the language, so users whose scopes differ never share an entry.
Where: Redis when ``DASHBOARD_CACHE_URL`` or a ``redis://`` rate-limit storage is configured
(shared by every worker and host), else a small cache in each worker process.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache
from sqlalchemy import Select

from ticketing.extensions import db

T = TypeVar("T")
DEFAULT_SECONDS = 0

cache = Cache()


def init_app(app: Flask) -> None:
    """Configure the cache from DASHBOARD_CACHE_SECONDS and DASHBOARD_CACHE_URL (config or env)."""
    default = os.environ.get("DASHBOARD_CACHE_SECONDS", 0 if app.testing else DEFAULT_SECONDS)
    seconds = int(app.config.get("DASHBOARD_CACHE_SECONDS", default))
    url = app.config.get("DASHBOARD_CACHE_URL") or os.environ.get("DASHBOARD_CACHE_URL", "")
    limits = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if not url and limits.startswith(("redis://", "rediss://")):
        url = limits
    config: dict[str, Any] = {"CACHE_DEFAULT_TIMEOUT": seconds, "CACHE_KEY_PREFIX": "dash:"}
    if seconds <= 0:
        config.update(CACHE_TYPE="NullCache", CACHE_NO_NULL_WARNING=True)
    elif url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url)
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=500)
    cache.init_app(app, config=config)


def key_for(kind: str, scope: Select[Any], *parts: Any) -> str:
    """A key from the page kind, the scope's SQL and parameters, and the other inputs."""
    compiled = scope.compile(dialect=db.engine.dialect)
    params = sorted((k, repr(v)) for k, v in compiled.params.items())
    raw = repr((kind, str(compiled), params, parts))
    return hashlib.sha256(raw.encode()).hexdigest()


def remember(key: str, compute: Callable[[], T]) -> T:
    """The cached value for the key, or compute it and keep it for the configured time."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value
