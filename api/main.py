"""The FastAPI app: ``create_app()`` wires middleware, error handlers, routers and lifespan.

Serve it with ``marketlounge serve api`` (uvicorn, ``--factory api.main:create_app``). Nothing
is loaded at import: the matcher and its encoder load once in the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from api.errors import install_error_handlers
from api.middleware import RequestMiddleware
from api.routes import concepts, health, match
from api.state import ApiState
from core.config import Settings, get_settings

API_VERSION = "1.0.0"
VERSION_PREFIXES = ("", "/v1")
"""``/match`` and ``/v1/match`` are the same routes: unversioned paths follow the latest."""

DESCRIPTION = """\
Explainable hybrid matching over your tenant's semantic dictionary of industrial know-how.

**Authentication**: every `/match` and `/concepts` call needs an API key of your tenant, sent
as `X-API-Key: mlk_…` or `Authorization: Bearer mlk_…` (an administrator creates one with
`marketlounge apikey create --tenant <tenant>`). Limits: `API_RATE_LIMIT_PER_MINUTE` requests
per key (429 with `Retry-After`), `API_MAX_BODY_BYTES` per body (413), `MATCH_MAX_QUERY_CHARS`
per query and `MATCH_MAX_TOP_K` shortlist length (422).

Every response carries an `X-Request-ID`; for `POST /match` it is the `request_id` under which
the call is logged (`GET /match/{request_id}`).
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the matcher (encoder, index) once per process; close Redis connections at exit."""
    state: ApiState = app.state.api
    await run_in_threadpool(state.start)
    try:
        yield
    finally:
        await state.limiter.aclose()


def _with_limits(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` that also states this server's limits in the ``MatchRequest`` schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        props = schema.get("components", {}).get("schemas", {}).get("MatchRequest", {})
        fields = props.get("properties", {})
        if "query" in fields:
            fields["query"]["maxLength"] = settings.match_max_query_chars
        if "top_k" in fields:
            fields["top_k"]["maximum"] = settings.match_max_top_k
        return schema

    return openapi


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app for ``settings`` (default: the environment's). Cheap: no I/O here.

    Each app has its own metrics registry, rate limiter and key cache, so several apps can
    live in one process (tests run two against one Redis).
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="MarketLounge API",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "match", "description": "Free-text need → concepts and companies."},
            {"name": "concepts", "description": "Look up the dictionary."},
            {"name": "operations", "description": "Liveness, readiness, metrics."},
        ],
    )
    state = ApiState.create(settings)
    app.state.api = state
    install_error_handlers(app)
    app.add_middleware(
        RequestMiddleware, metrics=state.metrics, max_body_bytes=settings.api_max_body_bytes
    )
    if settings.api_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type"],
            expose_headers=["X-Request-ID", "Retry-After", "X-RateLimit-Remaining"],
        )
    for prefix in VERSION_PREFIXES:
        app.include_router(match.router, prefix=prefix)
        app.include_router(concepts.router, prefix=prefix)
    app.include_router(health.router)
    app.openapi = _with_limits(app, settings)  # type: ignore[method-assign]
    return app
