"""Match cache: Redis when ``REDIS_URL`` is set, an in-process LRU with TTL otherwise.

Keys carry the tenant, the normalised query, the options and the index/data versions, so a
rebuild or a data change makes old entries unreachable (they expire by TTL). Losing the cache
never loses an answer: a Redis error is reported as a warning and the match is computed. After
an error the Redis cache stays *down* for a back-off period (1 s, doubling up to 30 s), so
requests do not each wait for a timeout while Redis is away.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol

KEY_PREFIX = "ml:match:v1"
MEMORY_MAX_ENTRIES = 10_000
REDIS_SOCKET_TIMEOUT_S = 0.25
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0


def cache_key(tenant_id: str, normalized_query: str, options: dict[str, Any], version: str) -> str:
    """Stable key: tenant in clear (for ops), the rest hashed.

    >>> k = cache_key("tenant_a", "usinag titan", {"top_k": 10}, "v1")
    >>> k.startswith("ml:match:v1:tenant_a:") and len(k.split(":")[-1]) == 40
    True
    >>> k == cache_key("tenant_a", "usinag titan", {"top_k": 10}, "v2")
    False
    """
    payload = json.dumps(
        {"q": normalized_query, "o": options, "v": version}, sort_keys=True, default=str
    )
    return f"{KEY_PREFIX}:{tenant_id}:{hashlib.sha1(payload.encode()).hexdigest()}"


class MatchCache(Protocol):
    """What the matcher needs from a cache backend."""

    backend: str
    keeps_objects: bool  # True: values are kept as given; False: JSON-ready dicts only

    def get(self, key: str) -> tuple[Any, str | None]:
        """``(value or None, warning or None)``."""
        ...

    def set(self, key: str, value: Any) -> str | None:
        """Store; returns a warning when it could not."""
        ...

    def health(self) -> dict[str, Any]: ...


class MemoryCache:
    """Thread-safe in-process LRU with a time-to-live.

    Values are kept as given, not as JSON: the matcher stores its frozen results, which saves
    serialising on a miss and parsing on a hit (about 0.5 ms of a 10 ms miss). Callers must
    treat what they get as read-only.
    """

    backend = "memory"
    keeps_objects = True

    def __init__(self, ttl_seconds: int, max_entries: int = MEMORY_MAX_ENTRIES) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[Any, str | None]:
        """The cached value if present and not expired."""
        if self.ttl <= 0:
            return None, None
        with self._lock:
            found = self._data.get(key)
            if found is None:
                return None, None
            expires, value = found
            if expires < time.monotonic():
                del self._data[key]
                return None, None
            self._data.move_to_end(key)
        return value, None

    def set(self, key: str, value: Any) -> str | None:
        """Store with the TTL, evicting the least recently used beyond ``max_entries``."""
        if self.ttl <= 0:
            return None
        with self._lock:
            self._data[key] = (time.monotonic() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return None

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def health(self) -> dict[str, Any]:
        """Always reachable."""
        return {"backend": self.backend, "reachable": True, "entries": len(self._data)}


class RedisCache:
    """Redis with short socket timeouts and a back-off after errors."""

    backend = "redis"
    keeps_objects = False  # shared between processes: JSON

    def __init__(self, url: str, ttl_seconds: int) -> None:
        import redis

        self.url = url
        self.ttl = ttl_seconds
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_SOCKET_TIMEOUT_S,
            socket_connect_timeout=REDIS_SOCKET_TIMEOUT_S,
            retry_on_timeout=False,
            health_check_interval=0,
        )
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._backoff = BACKOFF_START_S
        self.last_error: str | None = None

    def _warning(self) -> str:
        return (
            f"cache Redis indisponible ({self.last_error}) : réponse calculée sans cache — "
            f"Redis cache unavailable ({self.last_error}): answered without cache"
        )

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> str:
        with self._lock:
            self.last_error = f"{type(exc).__name__}: {exc}"[:200]
            self._down_until = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)
        return self._warning()

    def _succeeded(self) -> None:
        if self._backoff != BACKOFF_START_S or self.last_error:
            with self._lock:
                self._backoff = BACKOFF_START_S
                self.last_error = None

    def get(self, key: str) -> tuple[dict[str, Any] | None, str | None]:
        """The cached value, or ``(None, warning)`` when Redis is down."""
        import redis

        if self.ttl <= 0:
            return None, None
        if not self._available():
            return None, self._warning()
        try:
            raw = self._client.get(key)
        except (redis.RedisError, OSError) as exc:
            return None, self._failed(exc)
        self._succeeded()
        if raw is None:
            return None, None
        try:
            return json.loads(raw), None
        except ValueError:
            return None, None

    def set(self, key: str, value: dict[str, Any]) -> str | None:
        """Store with the TTL; a warning (not an error) when Redis is down."""
        import redis

        if self.ttl <= 0:
            return None
        if not self._available():
            return self._warning()
        try:
            self._client.set(key, json.dumps(value, default=str), ex=self.ttl)
        except (redis.RedisError, OSError) as exc:
            return self._failed(exc)
        self._succeeded()
        return None

    def health(self) -> dict[str, Any]:
        """Ping Redis now (ignores the back-off) and report."""
        import redis

        try:
            self._client.ping()
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return {"backend": self.backend, "reachable": False, "error": self.last_error}
        self._succeeded()
        return {"backend": self.backend, "reachable": True}


def make_cache(redis_url: str | None, ttl_seconds: int) -> MatchCache:
    """Redis when a URL is given, else the in-process cache."""
    if redis_url:
        return RedisCache(redis_url, ttl_seconds)
    return MemoryCache(ttl_seconds)
