"""``/ready``: can this instance answer ``POST /match`` now, and with what missing?

``down`` (HTTP 503) when the database or the matcher is unusable; ``degraded`` (HTTP 200) when
matching works but Redis (cache, shared rate limits) or a configured LLM does not answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from api.schemas import CheckOut, ReadyOut
from api.state import ApiState

PROBE_TIMEOUT_SECONDS = 0.5
_SEVERITY = {"ok": 0, "disabled": 0, "degraded": 1, "down": 2}


def _short(exc: BaseException) -> str:
    """One line naming the failure, without a traceback.

    >>> _short(ConnectionError("refused\\nmore"))
    'ConnectionError: refused'
    """
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:300]


def check_database(state: ApiState) -> CheckOut:
    """``SELECT 1`` on the app's database."""
    from core.db import get_engine

    try:
        with get_engine(state.settings).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "down"; the reason goes in the detail
        return CheckOut(status="down", detail=_short(exc))
    where = "DATABASE_URL" if state.settings.database_url else "embedded PostgreSQL"
    return CheckOut(status="ok", detail=where)


def check_redis(state: ApiState) -> CheckOut:
    """PING the Redis of the cache and the rate limits, when one is configured."""
    url = state.settings.redis_url
    if not url:
        return CheckOut(status="ok", detail="in-process cache and rate limits (REDIS_URL unset)")
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=PROBE_TIMEOUT_SECONDS, socket_connect_timeout=PROBE_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except Exception as exc:  # redis errors and OSError alike: matching goes on without it
        return CheckOut(
            status="degraded",
            detail=f"Redis unreachable ({_short(exc)}): matches are computed without the "
            "cache and rate limits count per process",
        )
    finally:
        client.close()
    return CheckOut(status="ok", detail=f"redis, rate limits: {state.limiter.backend}")


def check_llm(state: ApiState) -> CheckOut:
    """The LLM facade's own status (no network call): configured, circuit open or closed."""
    from core.llm import get_llm

    try:
        status = get_llm(state.settings).status()
    except Exception as exc:  # a broken facade must not break readiness
        return CheckOut(status="degraded", detail=_short(exc))
    if not status.get("configured"):
        return CheckOut(status="disabled", detail=str(status.get("message") or "not configured"))
    circuit = status.get("circuit") or {}
    if circuit.get("state") == "open":
        return CheckOut(
            status="degraded",
            detail=f"LLM circuit open after {circuit.get('consecutive_failures')} failures; "
            "rerank is skipped until it closes",
        )
    return CheckOut(status="ok", detail=str(status.get("model", "")))


def check_matcher(state: ApiState) -> tuple[CheckOut, dict[str, Any]]:
    """Model and index status as the matcher reports them."""
    if state.matcher is None:
        detail = state.startup_error or "the matcher is not loaded (lifespan not run)"
        return CheckOut(status="down", detail=detail), {}
    try:
        health = dict(state.matcher.health())
    except Exception as exc:  # report, do not raise: /ready must always answer
        return CheckOut(status="down", detail=_short(exc)), {}
    reported = str(health.get("status", "ok")).lower()
    status = reported if reported in _SEVERITY else "ok"
    detail = str(health.get("detail") or "") or matcher_summary(health)
    return CheckOut(status=status, detail=detail), health  # type: ignore[arg-type]


def matcher_summary(health: dict[str, Any]) -> str:
    """One line on the model and the indexes this process holds.

    >>> matcher_summary({"model": "m", "model_loaded": True,
    ...                  "indexes": {"tenant_a": {"backend": "faiss", "index_version": "v1"}}})
    'model m loaded; indexes held: tenant_a (faiss v1)'
    >>> matcher_summary({"model": "m", "model_loaded": False, "indexes": {}})
    'model m not loaded yet; indexes held: none yet (loaded on first request per tenant)'
    """
    loaded = "loaded" if health.get("model_loaded") else "not loaded yet"
    indexes = health.get("indexes") or {}
    held = ", ".join(
        f"{tenant} ({info.get('backend')} {info.get('index_version')})"
        for tenant, info in sorted(indexes.items())
    )
    return (
        f"model {health.get('model')} {loaded}; indexes held: "
        f"{held or 'none yet (loaded on first request per tenant)'}"
    )


def check_readiness(state: ApiState) -> ReadyOut:
    """Every check, and the worst of them as the overall status."""
    matcher_check, matcher_health = check_matcher(state)
    checks = {
        "database": check_database(state),
        "cache": check_redis(state),
        "matcher": matcher_check,
        "llm": check_llm(state),
    }
    worst = max(_SEVERITY[c.status] for c in checks.values())
    overall = {0: "ok", 1: "degraded", 2: "down"}[worst]
    return ReadyOut(status=overall, checks=checks, matcher=matcher_health)  # type: ignore[arg-type]
