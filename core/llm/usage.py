"""Token and cost counters: in memory for ``/metrics``, as ``LlmUsage`` rows for history."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.config import Settings

logger = logging.getLogger(__name__)


def estimate_cost(
    prompt_tokens: int, completion_tokens: int, *, per_1k_input: float, per_1k_output: float
) -> float:
    """Cost in euros from token counts and per-1k-token prices.

    >>> estimate_cost(1000, 500, per_1k_input=0.0002, per_1k_output=0.0006)
    0.0005
    """
    cost = prompt_tokens / 1000 * per_1k_input + completion_tokens / 1000 * per_1k_output
    return round(cost, 8)


@dataclass(frozen=True)
class UsageEvent:
    """One finished LLM call (successful or not), as counted and recorded."""

    operation: str
    model: str
    status: str  # ok | failed | unavailable | invalid_output
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_eur: float = 0.0
    attempts: int = 1
    tenant_id: str | None = None


class UsageCounters:
    """Thread-safe running totals, overall and per operation (read by the metrics page).

    >>> c = UsageCounters()
    >>> c.add(UsageEvent("translate", "m", "ok", 10, 5, 0.01, attempts=2))
    >>> c.snapshot()["calls"], c.snapshot()["retries"], c.snapshot()["prompt_tokens"]
    (1, 1, 10)
    """

    _FIELDS = ("calls", "ok", "failed", "retries", "prompt_tokens", "completion_tokens")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[str, float] = defaultdict(float)
        self._by_op: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, event: UsageEvent) -> None:
        """Count one call."""
        with self._lock:
            for bucket in (self._totals, self._by_op[event.operation]):
                bucket["calls"] += 1
                bucket["ok" if event.status == "ok" else "failed"] += 1
                bucket["retries"] += max(0, event.attempts - 1)
                bucket["prompt_tokens"] += event.prompt_tokens
                bucket["completion_tokens"] += event.completion_tokens
                bucket["cost_eur"] += event.cost_eur

    def count(self, name: str, value: float = 1) -> None:
        """Bump a named counter that is not a call (``circuit_rejections``, ``repairs``)."""
        with self._lock:
            self._totals[name] += value

    def snapshot(self) -> dict[str, Any]:
        """Totals as plain numbers, plus ``by_operation``."""
        with self._lock:
            out: dict[str, Any] = {k: int(self._totals.get(k, 0)) for k in self._FIELDS}
            out["cost_eur"] = round(self._totals.get("cost_eur", 0.0), 6)
            for extra in ("circuit_rejections", "repairs"):
                out[extra] = int(self._totals.get(extra, 0))
            out["by_operation"] = {
                op: {k: (round(v, 6) if k == "cost_eur" else int(v)) for k, v in vals.items()}
                for op, vals in sorted(self._by_op.items())
            }
            return out

    def reset(self) -> None:
        """Forget everything (tests, or a metrics reset)."""
        with self._lock:
            self._totals.clear()
            self._by_op.clear()


UsageRecorder = Callable[[UsageEvent], None]
"""Something that persists a usage event; it must never raise into the LLM call."""


def _open_engine(settings: Settings) -> Any | None:
    """The engine this process already opened for ``settings``, without starting one.

    Recording usage must not start the embedded PostgreSQL as a side effect of an LLM call,
    so rows are written only when the process already uses the database.
    """
    from core.db import engine as engine_module

    entries = getattr(engine_module, "_engines", {})
    key = f"{settings.database_url or ''}|{settings.pg_data_dir}"
    entry = entries.get(key)
    return entry[0] if entry else None


def db_recorder(settings: Settings) -> UsageRecorder:
    """A recorder writing one ``LlmUsage`` row per call in its own short transaction.

    Best effort: no open engine, a missing table or a database error only log a warning.
    """

    def record(event: UsageEvent) -> None:
        try:
            engine = _open_engine(settings)
            if engine is None:
                return
            from sqlalchemy.orm import Session

            from core.models import LlmUsage

            with Session(engine) as session, session.begin():
                session.add(
                    LlmUsage(
                        tenant_id=event.tenant_id,
                        operation=event.operation[:40],
                        model=event.model[:100],
                        prompt_tokens=event.prompt_tokens,
                        completion_tokens=event.completion_tokens,
                        cost_eur=event.cost_eur,
                        status=event.status[:20],
                    )
                )
        except Exception as exc:  # recording must never fail the call
            logger.warning("could not record LLM usage: %s", exc)

    return record
