"""Small text helpers shared by the apps."""

import datetime
import re


def anchor(code):
    """A fragment id for a provision code: 'GOVERN 1.1' -> 'govern-1-1', 'Art. 5(1)' -> 'art-5-1'.

    Two codes with the same anchor count as the same code within a framework."""
    return re.sub(r"[^a-z0-9]+", "-", str(code).lower()).strip("-") or "provision"


def as_date(value):
    """A date from a file or form value: a date stays, ISO text (YYYY-MM-DD) is read, empty is
    None. Anything else raises ValueError."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))
