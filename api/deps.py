"""Typed dependency aliases for the routes: ``StateDep``, ``SessionDep``, ``CallerDep``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.security import Caller, api_key_header, bearer_scheme, presented_key, unauthorized
from api.state import ApiState
from core.db import session_scope


def get_state(request: Request) -> ApiState:
    """The app's :class:`ApiState` (built by ``create_app``)."""
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with session_scope(state.settings) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_log_session(state: StateDep) -> Iterator[Session]:
    """A request transaction whose commit does not wait for the WAL flush to disk.

    For ``POST /match``, whose only write is its ``QueryMatchLog`` row: skipping the fsync
    wait saves about a third of a cache hit's time on the embedded database. The price is
    that a server crash may lose the log rows of its last fraction of a second (never an
    answer, and never other data: the setting is ``LOCAL`` to this transaction).
    """
    with session_scope(state.settings) as session:
        session.execute(text("SET LOCAL synchronous_commit = off"))
        yield session


LogSessionDep = Annotated[Session, Depends(get_log_session, scope="function")]


async def get_caller(
    state: StateDep,
    response: Response,
    x_api_key: Annotated[str | None, Security(api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> Caller:
    """Authenticate the API key, then count the request against the key's rate limit.

    Raises:
        HTTPException: 401 without a valid key; 429 (with ``Retry-After``) over the limit.
    """
    key = presented_key(x_api_key, bearer)
    if key is None:
        raise unauthorized("missing API key")
    info = await state.verifier.verify(key)
    if info is None:
        raise unauthorized("unknown or revoked API key")
    decision = await state.limiter.hit(str(info.api_key_id))
    limit_headers = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
    }
    if not decision.allowed:
        raise HTTPException(
            status_code=429,
            detail=(
                f"rate limit of {decision.limit} requests per minute reached for API key "
                f"{info.key_prefix}: retry in {decision.retry_after} s, or ask for a higher "
                "API_RATE_LIMIT_PER_MINUTE (limite de débit atteinte : réessayez plus tard)"
            ),
            headers={"Retry-After": str(decision.retry_after), **limit_headers},
        )
    response.headers.update(limit_headers)
    return Caller(
        tenant_id=info.tenant_id,
        api_key_id=info.api_key_id,
        key_prefix=info.key_prefix,
        warnings=[decision.warning] if decision.warning else [],
    )


CallerDep = Annotated[Caller, Depends(get_caller)]
