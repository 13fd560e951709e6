"""What one app instance holds: settings, metrics, limiter, key verifier, the warm matcher."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import HTTPException
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.metrics import ApiMetrics
from api.ratelimit import RateLimiter
from api.security import KeyVerifier
from core.config import Settings
from core.db import session_scope

if TYPE_CHECKING:
    from core.matching.service import Matcher

logger = logging.getLogger("api")


@dataclass
class ApiState:
    """Per-app objects. Cheap to build; :meth:`start` (run by the lifespan) does the loading."""

    settings: Settings
    metrics: ApiMetrics
    limiter: RateLimiter
    verifier: KeyVerifier
    matcher: Matcher | None = None
    startup_seconds: float | None = None
    startup_error: str | None = None
    info: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings) -> ApiState:
        """The state of a new app for ``settings`` (no I/O)."""
        metrics = ApiMetrics()
        limiter = RateLimiter(
            settings.api_rate_limit_per_minute,
            settings.redis_url,
            on_fallback=metrics.fallbacks.labels("ratelimit").inc,
        )
        return cls(
            settings=settings, metrics=metrics, limiter=limiter, verifier=KeyVerifier(settings)
        )

    def start(self) -> None:
        """Build the matcher and load the encoder once, so the first request is not slow.

        A failure is logged and kept: the process still serves ``/health`` and ``/ready``
        (which answers 503 with the reason) instead of crash-looping without a word.
        """
        started = time.perf_counter()
        try:
            from core.matching.service import get_matcher

            matcher = get_matcher(self.settings)
            warm = getattr(matcher, "warm", None)
            if callable(warm):
                warm()
        except Exception as exc:  # reported by /ready and by 503s on /match
            self.startup_error = f"the matcher did not load: {type(exc).__name__}: {exc}"
            logger.exception("API started WITHOUT a matcher")
            return
        self.matcher = matcher
        self.startup_error = None
        self.startup_seconds = time.perf_counter() - started
        logger.info("API ready: matcher warmed in %.1f s", self.startup_seconds)

    @contextmanager
    def transaction(self, *, fast_commit: bool = False) -> Iterator[Session]:
        """One transaction, committed on success; open and close it in the same thread.

        Args:
            fast_commit: do not wait for the WAL flush at commit. For ``POST /match``, whose
                only write is its ``QueryMatchLog`` row: it saves about a third of a cache
                hit's time on the embedded database, at the price that a server crash may
                lose the log rows of its last fraction of a second (never an answer, never
                other data: the setting is ``LOCAL`` to this transaction).
        """
        with session_scope(self.settings) as session:
            if fast_commit:
                session.execute(text("SET LOCAL synchronous_commit = off"))
            yield session

    def require_matcher(self) -> Matcher:
        """The matcher, or a 503 saying why there is none."""
        if self.matcher is None:
            reason = self.startup_error or "the app was used without its lifespan"
            raise HTTPException(
                status_code=503, detail=f"matching is unavailable: {reason}; see GET /ready"
            )
        return self.matcher
