"""Who is calling: the API key (``X-API-Key`` or ``Authorization: Bearer``) → tenant + limits.

Verified keys are remembered in-process for :data:`AUTH_CACHE_SECONDS`, so a burst of requests
costs one database lookup, not one per request; a revoked key therefore stops working within
that delay on every worker.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

from fastapi import HTTPException
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from core.apikeys import ApiKeyInfo, key_prefix_of, verify_api_key
from core.config import Settings
from core.db import session_scope

AUTH_CACHE_SECONDS = 5.0
AUTH_CACHE_MAX = 10_000

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Your API key (mlk_…): `marketlounge apikey create --tenant <tenant>`.",
)
bearer_scheme = HTTPBearer(
    auto_error=False, description="The same API key as a bearer token: `Bearer mlk_…`."
)

HOW_TO_GET_A_KEY = (
    "send your key as 'X-API-Key: mlk_…' or 'Authorization: Bearer mlk_…'; an administrator "
    "creates one with `marketlounge apikey create --tenant <tenant>` "
    "(clé API : en-tête X-API-Key ou Authorization: Bearer ; "
    "à créer avec `marketlounge apikey create --tenant <tenant>`)"
)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the key's tenant, and what to pass on in the answer
    (warnings in the body, rate-limit headers)."""

    tenant_id: str
    api_key_id: int
    key_prefix: str
    warnings: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def unauthorized(reason: str) -> HTTPException:
    """A 401 whose message says what was wrong and how to get a key."""
    return HTTPException(
        status_code=401,
        detail=f"{reason}: {HOW_TO_GET_A_KEY}",
        headers={"WWW-Authenticate": 'Bearer realm="marketlounge"'},
    )


def presented_key(
    x_api_key: str | None, bearer: HTTPAuthorizationCredentials | None
) -> str | None:
    """The key the caller sent (``X-API-Key`` wins over ``Authorization``).

    >>> presented_key(" mlk_x ", None)
    'mlk_x'
    >>> presented_key(None, None) is None
    True
    """
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    if bearer is not None and bearer.credentials.strip():
        return bearer.credentials.strip()
    return None


class KeyVerifier:
    """Checks keys against the database, remembering good ones for a few seconds."""

    def __init__(self, settings: Settings, ttl_seconds: float = AUTH_CACHE_SECONDS) -> None:
        self.settings = settings
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[ApiKeyInfo, float]] = {}

    def _lookup(self, key: str) -> ApiKeyInfo | None:
        with session_scope(self.settings) as session:
            return verify_api_key(session, key)

    async def verify(self, key: str) -> ApiKeyInfo | None:
        """The active key's record, or ``None``; the database is read in the threadpool."""
        if key_prefix_of(key) is None:
            return None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        info = await run_in_threadpool(self._lookup, key)
        if info is not None and self.ttl_seconds > 0:
            with self._lock:
                if len(self._cache) >= AUTH_CACHE_MAX:
                    self._cache.clear()
                self._cache[digest] = (info, now + self.ttl_seconds)
        return info

    def forget(self) -> None:
        """Drop every remembered key (tests; after revoking keys in this process)."""
        with self._lock:
            self._cache.clear()
