"""Parsing of the cell values real files contain: dates with offsets, French numbers, codes."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from typing import Any

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+)?(?:Z|[+-]\d{2}:?\d{2})?$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str | None) -> date | None:
    """A date from ``YYYY-MM-DD`` (time and UTC offset allowed) or ``DD/MM/YYYY``.

    Empty → ``None``; anything else → ``ValueError`` with the accepted forms.

    >>> parse_date("2019-12-19+01:00"), parse_date("03/01/2019"), parse_date("")
    (datetime.date(2019, 12, 19), datetime.date(2019, 1, 3), None)
    >>> parse_date("2019-02-30")
    Traceback (most recent call last):
    ...
    ValueError: bad date '2019-02-30': use YYYY-MM-DD or DD/MM/YYYY
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        if match := _ISO_DATE.match(text):
            year, month, day = match.groups()
            return date(int(year), int(month), int(day))
        if match := _FR_DATE.match(text):
            day, month, year = match.groups()
            return date(int(year), int(month), int(day))
    except ValueError:
        pass
    raise ValueError(f"bad date {text!r}: use YYYY-MM-DD or DD/MM/YYYY")


def parse_number(text: str | None) -> float | None:
    """A number written the English or the French way (``1 234,5``, ``1234.5``, ``12 €``).

    >>> parse_number("1 234,50 €"), parse_number("18999.14"), parse_number("")
    (1234.5, 18999.14, None)
    >>> parse_number("beaucoup")
    Traceback (most recent call last):
    ...
    ValueError: bad number 'beaucoup'
    """
    raw = (text or "").strip()
    if not raw:
        return None
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", raw)
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"bad number {raw!r}") from None


def content_hash(value: Any) -> str:
    """SHA-256 of a JSON-able value in canonical form (sorted keys): equal content, equal hash.

    >>> content_hash({"b": 1, "a": [1, 2]}) == content_hash({"a": [1, 2], "b": 1})
    True
    >>> len(content_hash("x"))
    64
    """
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def text_hash(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes (the ``hash`` of a label's provenance).

    >>> text_hash("Tour")[:12]
    'c0323ea228dc'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now_iso() -> str:
    """Current UTC time, ISO 8601 to the second (provenance stamps)."""
    from datetime import UTC

    return datetime.now(UTC).replace(microsecond=0).isoformat()


def split_list(text: str | None, separator: str = "|") -> list[str]:
    """Non-empty stripped items of a separated cell.

    >>> split_list(" tours | fraiseuses ||"), split_list("")
    (['tours', 'fraiseuses'], [])
    """
    return [item.strip() for item in (text or "").split(separator) if item.strip()]
