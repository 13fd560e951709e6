"""Period labels (year, half-year, quarter, month) and which two periods a growth compares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Literal

from core.errors import UserError

Freq = Literal["Y", "H", "Q", "M"]
FREQS: tuple[str, ...] = ("Y", "H", "Q", "M")
_LABEL_RE = re.compile(r"^(?P<year>\d{4})(?:-(?P<kind>[HQ])(?P<part>\d)|-(?P<month>\d{2}))?$")


def check_freq(freq: str) -> Freq:
    """Validate a period granularity (Y = year, H = half-year, Q = quarter, M = month).

    >>> check_freq("q")
    'Q'
    """
    upper = freq.upper()
    if upper not in FREQS:
        raise UserError(
            f"unknown period granularity {freq!r}: use Y (year), H (half-year), Q (quarter) "
            "or M (month)"
        )
    return upper  # type: ignore[return-value]


def period_label(day: date, freq: str = "Q") -> str:
    """The period a date falls in, as a sortable label.

    >>> d = date(2018, 11, 5)
    >>> [period_label(d, f) for f in FREQS]
    ['2018', '2018-H2', '2018-Q4', '2018-11']
    """
    freq = check_freq(freq)
    if freq == "Y":
        return f"{day.year}"
    if freq == "H":
        return f"{day.year}-H{1 if day.month <= 6 else 2}"
    if freq == "Q":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def _parse(label: str) -> tuple[int, str, int]:
    match = _LABEL_RE.match(label)
    if not match:
        raise UserError(
            f"invalid period {label!r}: use 2019, 2019-H1, 2019-Q1 or 2019-01 "
            "(same granularity as --freq)"
        )
    year = int(match["year"])
    if match["kind"]:
        part = int(match["part"])
        limit = 2 if match["kind"] == "H" else 4
        if not 1 <= part <= limit:
            raise UserError(f"invalid period {label!r}: {match['kind']}{part} does not exist")
        return year, match["kind"], part
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise UserError(f"invalid period {label!r}: month {month} does not exist")
        return year, "M", month
    return year, "Y", 1


def label_freq(label: str) -> Freq:
    """Granularity of a label.

    >>> label_freq("2019-H1"), label_freq("2019-03"), label_freq("2019")
    ('H', 'M', 'Y')
    """
    return _parse(label)[1]  # type: ignore[return-value]


def previous_period(label: str) -> str:
    """The calendar period just before ``label`` (same granularity).

    >>> previous_period("2019-Q1"), previous_period("2019-H1"), previous_period("2019-01")
    ('2018-Q4', '2018-H2', '2018-12')
    >>> previous_period("2019")
    '2018'
    """
    year, kind, part = _parse(label)
    if kind == "Y":
        return f"{year - 1}"
    if kind == "M":
        return f"{year - 1}-12" if part == 1 else f"{year}-{part - 1:02d}"
    last = 2 if kind == "H" else 4
    return f"{year - 1}-{kind}{last}" if part == 1 else f"{year}-{kind}{part - 1}"


def growth_periods(
    counts: Mapping[str, int],
    *,
    previous: str | None = None,
    current: str | None = None,
    min_share: float = 0.1,
) -> tuple[str, str] | None:
    """Which two periods a growth compares.

    Given periods win. Otherwise ``current`` is the latest period holding at least
    ``min_share`` of the busiest period's count — so a trailing, almost empty period (a data
    cut-off) does not decide — and ``previous`` is the calendar period just before it.

    Args:
        counts: period label → number of demands in it.
        previous: explicit earlier period (e.g. ``"2018-Q4"``).
        current: explicit later period (e.g. ``"2019-Q1"``).
        min_share: fraction of the busiest period a period needs to be "current".

    Returns:
        ``(previous, current)`` or None when there is no period at all.

    >>> growth_periods({"2018-Q4": 942, "2019-Q1": 1228, "2019-Q2": 8})
    ('2018-Q4', '2019-Q1')
    >>> growth_periods({"2018": 2, "2019": 4}, previous="2018", current="2019")
    ('2018', '2019')
    >>> growth_periods({}) is None
    True
    """
    if current is not None:
        _parse(current)
    if previous is not None:
        _parse(previous)
    if current is None:
        if not counts:
            return None
        busiest = max(counts.values())
        eligible = [p for p, n in counts.items() if n >= min_share * busiest and n > 0]
        current = max(eligible) if eligible else max(counts)
    if previous is None:
        previous = previous_period(current)
    if label_freq(previous) != label_freq(current):
        raise UserError(
            f"periods {previous!r} and {current!r} have different granularities: "
            "compare a quarter with a quarter, a year with a year"
        )
    if previous >= current:
        raise UserError(f"the previous period {previous!r} must come before {current!r}")
    return previous, current
