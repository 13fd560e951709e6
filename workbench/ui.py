"""Page plumbing: errors become a readable ``st.error`` (never a traceback), shared widgets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import streamlit as st

from workbench.i18n import t

logger = logging.getLogger("workbench")


def show_problem(exc: Exception) -> None:
    """Turn an exception into one message that says what to do (details go to the log)."""
    from workbench.services import problem_kind

    kind = problem_kind(exc)
    if kind == "user":
        st.error(str(exc))
    elif kind == "database":
        logger.warning("database unavailable: %s", exc)
        st.error(t("db_unavailable"))
    elif kind == "missing":
        logger.warning("missing module: %s", exc)
        st.error(t("feature_missing", what=getattr(exc, "name", None) or str(exc)))
    else:
        when = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        logger.exception("workbench page failed at %s", when)
        st.error(t("unexpected", kind=type(exc).__name__, when=when))


@contextmanager
def guarded() -> Iterator[None]:
    """Run a page body or an action; show problems instead of a traceback.

    Streamlit's own control flow (``st.stop``, reruns) derives from ``BaseException`` and
    passes through untouched.
    """
    try:
        yield
    except Exception as exc:
        show_problem(exc)


def lines(text: str) -> list[str]:
    """Non-empty stripped lines of a text area.

    >>> lines(" a \\n\\n b\\n")
    ['a', 'b']
    """
    return [line.strip() for line in text.splitlines() if line.strip()]


def fmt_score(value: float | None) -> str:
    """A score with three decimals, or a dash.

    >>> fmt_score(0.12345), fmt_score(None)
    ('0.123', '—')
    """
    return "—" if value is None else f"{value:.3f}"


def table(rows: list[dict[str, Any]], **kwargs: Any) -> None:
    """A dataframe without the index, or a quiet note when there is nothing."""
    if not rows:
        st.caption(t("nothing"))
        return
    import pandas as pd

    if "height" in kwargs:  # no empty rows under short tables
        kwargs["height"] = min(int(kwargs["height"]), 38 + 35 * len(rows))
    st.dataframe(pd.DataFrame(rows), hide_index=True, **kwargs)
