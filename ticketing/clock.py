"""The one source of "now": UTC, naive, and overridable for seeding and tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_frozen: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def utcnow() -> datetime:
    """Current time in UTC as a naive datetime (the storage convention)."""
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Make utcnow() return ``moment`` inside the block (demo seeding, tests)."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
