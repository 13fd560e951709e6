"""Which builds are due: periods (``weekly``, ``biweekly``, ``monthly`` …) and the due rule.

A step is due when its last *successful* run is older than its period (or when it never ran).
A due step also brings the scheduled steps after it (a refreshed glossary is followed by the
dico, activations and index, so derived data never lags behind its source).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from core.builds.params import STEPS
from core.errors import UserError

NAMED_PERIODS: dict[str, timedelta] = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "biweekly": timedelta(weeks=2),
    "monthly": timedelta(days=30),
    "quarterly": timedelta(days=91),
}
_PERIOD = re.compile(r"^(\d+)\s*([hdw])$")


def parse_period(text: str) -> timedelta | None:
    """A schedule period: a name, or ``<n>h`` / ``<n>d`` / ``<n>w``; ``never``/``off`` → None.

    >>> parse_period("biweekly")
    datetime.timedelta(days=14)
    >>> parse_period("36h")
    datetime.timedelta(days=1, seconds=43200)
    >>> parse_period("off") is None
    True
    >>> parse_period("fortnightly")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.errors.UserError: unknown schedule period 'fortnightly': use hourly, daily, weekly, ...
    """
    value = text.strip().lower()
    if value in ("never", "off", "none", ""):
        return None
    if value in NAMED_PERIODS:
        return NAMED_PERIODS[value]
    match = _PERIOD.match(value)
    if match and int(match.group(1)) > 0:
        unit = {"h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
        return timedelta(**{unit: int(match.group(1))})
    raise UserError(
        f"unknown schedule period {text!r}: use {', '.join(NAMED_PERIODS)}, never, "
        "or a number with h/d/w (e.g. 36h, 10d, 2w)"
    )


def due_steps(
    schedule: Mapping[str, str],
    last_success: Mapping[str, datetime | None],
    now: datetime,
    *,
    cascade: bool = True,
) -> list[str]:
    """Steps to run now, in pipeline order.

    Args:
        schedule: step → period (``settings.build_schedule``).
        last_success: step → end time of its last successful run (None: never ran).
        now: the current time (same timezone awareness as ``last_success``).
        cascade: also run the scheduled steps after a due one.

    >>> from datetime import datetime as dt
    >>> plan = {"glossary": "monthly", "dico": "biweekly", "index": "weekly"}
    >>> due_steps(plan, {"glossary": dt(2025, 1, 1), "dico": dt(2025, 1, 20),
    ...                  "index": dt(2025, 1, 20)}, dt(2025, 1, 25))
    []
    >>> due_steps(plan, {"glossary": dt(2025, 1, 1), "dico": dt(2025, 1, 20),
    ...                  "index": dt(2025, 1, 10)}, dt(2025, 1, 25))
    ['index']
    >>> due_steps(plan, {"glossary": None, "dico": dt(2025, 1, 20),
    ...                  "index": dt(2025, 1, 20)}, dt(2025, 1, 25))
    ['glossary', 'dico', 'index']
    """
    for step in schedule:
        if step not in STEPS:
            raise UserError(
                f"build_schedule names an unknown step {step!r}: use {', '.join(STEPS)}"
            )
    periods = {step: parse_period(schedule[step]) for step in STEPS if step in schedule}
    due: list[str] = []
    for step in STEPS:
        period = periods.get(step)
        if period is None:
            continue
        last = last_success.get(step)
        if last is None or now - last >= period or (cascade and due):
            due.append(step)
    return due
