"""Commonly used passwords, from zxcvbn's list of 30,000, plus local favourites."""

from __future__ import annotations

from functools import cache

# Indonesian favourites the English-centric list misses.
_LOCAL = {"sekolah123", "indonesia", "indonesia1", "merdeka45", "bismillah", "rahasia123"}


@cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | _LOCAL


def is_common(password: str) -> bool:
    """True if the password (ignoring case) is on a list of commonly used ones."""
    return password.lower() in _common()
