"""Per-key rate limits: a fixed one-minute window, in Redis when configured, else in-process.

In Redis each window is one counter ``ml:rl:<key>:<window>`` bumped with ``INCR`` and given
its expiry in the same ``MULTI``/``EXEC`` transaction, so every worker and replica sharing the
Redis shares the limit and no counter outlives its window. When Redis does not answer, the
limiter counts in this process instead (the limit then holds per process, not globally),
says so in a warning, and tries Redis again a few seconds later: a cache outage never turns
into an error.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
REDIS_RETRY_SECONDS = 5.0
"""After a Redis failure, requests count in-process for this long before Redis is retried."""
REDIS_TIMEOUT_SECONDS = 0.5
FALLBACK_WARNING = (
    "rate limits counted by this server process only: Redis did not answer "
    "(limites de débit comptées localement : Redis ne répond pas)"
)


@dataclass(frozen=True)
class RateDecision:
    """The verdict for one request."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets (0 when allowed)
    warning: str | None = None


def window_of(now: float, window: int = WINDOW_SECONDS) -> tuple[int, int]:
    """The window index of ``now`` and the whole seconds left in it (at least 1).

    >>> window_of(125.2)
    (2, 55)
    >>> window_of(119.9)
    (1, 1)
    """
    index = int(now // window)
    return index, max(1, math.ceil((index + 1) * window - now))


def decide(count: int, limit: int, seconds_left: int, warning: str | None = None) -> RateDecision:
    """The decision for the ``count``-th request of a window.

    >>> decide(3, 2, 40).allowed, decide(3, 2, 40).retry_after
    (False, 40)
    >>> decide(2, 2, 40).remaining
    0
    """
    allowed = count <= limit
    return RateDecision(
        allowed=allowed,
        limit=limit,
        remaining=max(0, limit - count),
        retry_after=0 if allowed else seconds_left,
        warning=warning,
    )


class InProcessCounter:
    """Fixed-window counters in a dict (one process); old windows are dropped as time moves."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def incr(self, key: str, window: int = WINDOW_SECONDS) -> tuple[int, int]:
        """Count one request for ``key``; return (count in this window, seconds left)."""
        index, left = window_of(self._clock(), window)
        with self._lock:
            if index != self._window:
                self._window, self._counts = index, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return count, left


class RateLimiter:
    """Requests per minute per key, shared through Redis when ``redis_url`` is set.

    Args:
        limit_per_minute: requests one key may make per window.
        redis_url: ``redis://…``; ``None`` counts in-process only.
        on_fallback: called once per request served without Redis (metrics).
    """

    def __init__(
        self,
        limit_per_minute: int,
        redis_url: str | None = None,
        *,
        on_fallback: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit_per_minute
        self.redis_url = redis_url
        self._clock = clock
        self._local = InProcessCounter(clock)
        self._on_fallback = on_fallback
        self._clients: dict[int, Any] = {}
        self._redis_down_until = 0.0
        self._last_error: str | None = None

    @property
    def backend(self) -> str:
        """``redis``, ``in-process`` or ``in-process (Redis down)``."""
        if not self.redis_url:
            return "in-process"
        return "in-process (Redis down)" if self.redis_down else "redis"

    @property
    def redis_down(self) -> bool:
        """True while requests count in-process after a Redis failure."""
        return bool(self.redis_url) and time.monotonic() < self._redis_down_until

    def _client(self) -> Any:
        """One asyncio Redis client per event loop (the app may run on several loops)."""
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        client = self._clients.get(id(loop))
        if client is None:
            client = aioredis.Redis.from_url(
                str(self.redis_url),
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                retry_on_timeout=False,
            )
            self._clients[id(loop)] = client
        return client

    async def hit(self, key: str) -> RateDecision:
        """Count one request of ``key`` and say whether it may proceed."""
        if self.redis_url and not self.redis_down:
            index, left = window_of(self._clock())
            name = f"ml:rl:{key}:{index}"
            try:
                async with self._client().pipeline(transaction=True) as pipe:
                    pipe.incr(name)
                    pipe.expire(name, WINDOW_SECONDS + 5)
                    count, _ = await pipe.execute()
                return decide(int(count), self.limit, left)
            except Exception as exc:  # redis errors, OSError, timeouts: never fail the call
                self._redis_failed(exc)
        count, left = self._local.incr(key)
        if self._on_fallback is not None and self.redis_url:
            self._on_fallback()
        return decide(count, self.limit, left, FALLBACK_WARNING if self.redis_url else None)

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        message = f"{type(exc).__name__}: {exc}"
        if message != self._last_error:
            logger.warning(
                "rate limiter: Redis at %s failed (%s); counting in-process for %.0f s",
                self.redis_url,
                message,
                REDIS_RETRY_SECONDS,
            )
        self._last_error = message

    async def aclose(self) -> None:
        """Close the Redis connections of the running loop."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            try:
                await client.aclose()
            except Exception:  # closing a dead connection may fail; nothing to do about it
                logger.debug("rate limiter: closing Redis failed", exc_info=True)
