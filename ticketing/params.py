"""Integers from a request, bounded before they reach the database: one parser for all.

``int()`` accepts more than a form should (" 12 ", "1_000", "١٢") and refuses some digits
(``"²".isdigit()`` is True, ``int("²")`` raises), and a number past the database's INTEGER
makes PostgreSQL answer "out of range" and SQLite "Python int too large": a 500 either way.
"""

from __future__ import annotations

import re
from typing import Any, overload

# The largest value of an INTEGER column (PostgreSQL): ids and numbers beyond it match nothing.
MAX_DB_INT = 2**31 - 1
_INTEGER = re.compile(r"-?[0-9]{1,12}")


@overload
def bounded_int(value: Any, default: int, *, minimum: int = ..., maximum: int = ...) -> int: ...


@overload
def bounded_int(
    value: Any, default: None = None, *, minimum: int = ..., maximum: int = ...
) -> int | None: ...


def bounded_int(
    value: Any,
    default: int | None = None,
    *,
    minimum: int = -MAX_DB_INT,
    maximum: int = MAX_DB_INT,
) -> int | None:
    """``value`` as an int within [minimum, maximum] if it is one written in ASCII digits;
    otherwise ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return default
    if number < minimum or number > maximum:
        return default
    return number


def page_number(value: Any, last: int = 100_000) -> int:
    """A page number from the query string: 1 when missing or malformed, at most ``last``."""
    number = bounded_int(value, 1)
    return min(max(number, 1), last)
