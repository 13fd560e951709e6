"""Retry timing and the circuit breaker: pure, clock-injected, so tests need no sleeping."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth another attempt: timeouts, rate limits and server errors."""

CircuitState = Literal["closed", "open", "half_open"]


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float = 8.0,
    jitter: float = 0.5,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with proportional jitter: ``base * 2**attempt`` plus up to 50 %.

    Jitter spreads the retries of many workers so they do not hit the service together.

    Args:
        attempt: 0 for the first retry, 1 for the second, …
        base: the first delay in seconds.
        cap: the longest delay before jitter.
        jitter: the random share added on top (0.5 = up to +50 %).
        rng: a seeded ``random.Random`` in tests.

    >>> backoff_delay(0, base=0.5, jitter=0)
    0.5
    >>> backoff_delay(3, base=0.5, jitter=0)
    4.0
    >>> backoff_delay(10, base=0.5, cap=8, jitter=0)
    8.0
    >>> 1.0 <= backoff_delay(1, base=0.5, rng=random.Random(1)) <= 1.5
    True
    """
    delay = min(cap, base * (2**attempt))
    return delay + delay * jitter * (rng or random).random()


def parse_retry_after(
    headers: Mapping[str, str], *, cap: float, now: datetime | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date).

    The server knows best when it will accept us again, but a bogus or hostile value must not
    block a worker for an hour: the result is capped.

    >>> parse_retry_after({"retry-after": "2"}, cap=30)
    2.0
    >>> parse_retry_after({"retry-after": "3600"}, cap=30)
    30.0
    >>> parse_retry_after({"retry-after-ms": "250"}, cap=30)
    0.25
    >>> parse_retry_after({"retry-after": "soon"}, cap=30) is None
    True
    >>> parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:05 GMT"}, cap=30,
    ...                   now=datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC))
    5.0
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    value: float | None = None
    if "retry-after-ms" in lowered:
        try:
            value = float(lowered["retry-after-ms"]) / 1000.0
        except ValueError:
            value = None
    if value is None and "retry-after" in lowered:
        raw = lowered["retry-after"].strip()
        try:
            value = float(raw)
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            value = (when - (now or datetime.now(UTC))).total_seconds()
    if value is None:
        return None
    return float(min(max(value, 0.0), cap))


@dataclass(frozen=True)
class CircuitSnapshot:
    """The breaker's state for ``LLM.status()``."""

    state: CircuitState
    consecutive_failures: int
    threshold: int
    cooldown_s: float
    retry_in_s: float


class CircuitBreaker:
    """Stop calling a failing service for a while, then let one probe through.

    ``closed``: calls go through; ``threshold`` consecutive failures open it. ``open``: calls
    are refused until ``cooldown_s`` has passed. ``half_open``: one probe goes through; its
    success closes the circuit, its failure opens it again for another cool-down.

    >>> clock = iter([0.0, 0.0, 1.0, 11.0]).__next__
    >>> cb = CircuitBreaker(threshold=2, cooldown_s=10, clock=clock)
    >>> cb.record_failure(); cb.record_failure(); cb.state()
    'open'
    >>> cb.allow()
    False
    >>> cb.allow(), cb.state()
    (True, 'half_open')
    >>> cb.record_success(); cb.state()
    'closed'
    """

    def __init__(
        self,
        *,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    def allow(self) -> bool:
        """May a call go out now? In ``half_open`` only one probe at a time is allowed."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._clock() - self._opened_at < self.cooldown_s:
                return False
            if self._probing:
                return False
            self._probing = True
            return True

    def record_success(self) -> None:
        """A call succeeded: close the circuit and forget past failures."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> None:
        """A call failed: count it, and open (or re-open) the circuit at the threshold."""
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._opened_at = self._clock()
            self._probing = False

    def state(self) -> CircuitState:
        """``closed``, ``open`` (refusing) or ``half_open`` (cool-down over, probe allowed)."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._probing or self._clock() - self._opened_at >= self.cooldown_s:
                return "half_open"
            return "open"

    def snapshot(self) -> CircuitSnapshot:
        """State, failure count and seconds until a probe is allowed."""
        state = self.state()
        with self._lock:
            retry_in = 0.0
            if self._opened_at is not None:
                retry_in = max(0.0, self.cooldown_s - (self._clock() - self._opened_at))
            return CircuitSnapshot(
                state=state,
                consecutive_failures=self._failures,
                threshold=self.threshold,
                cooldown_s=self.cooldown_s,
                retry_in_s=round(retry_in, 3),
            )
