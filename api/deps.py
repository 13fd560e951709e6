"""Typed dependency aliases for the routes: ``StateDep`` and ``CallerDep``.

There is deliberately no ``SessionDep``: a session yielded by a dependency holds its pooled
connection across threadpool hops (dependency → route → dependency exit), and under load
(200 clients, 40 threads, 15 connections) threads waiting for a connection starve the
requests holding one until the pool times out. Routes open their transaction inside their
own thread instead, with ``state.transaction()``, so a connection is always released by the
thread that took it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from api.errors import FieldError
from api.security import Caller, api_key_header, bearer_scheme, presented_key, unauthorized
from api.state import ApiState


async def get_state(request: Request) -> ApiState:
    """The app's :class:`ApiState` (built by ``create_app``); ``async`` so it costs no thread."""
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


async def get_caller(
    state: StateDep,
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
    return Caller(
        tenant_id=info.tenant_id,
        api_key_id=info.api_key_id,
        key_prefix=info.key_prefix,
        warnings=[decision.warning] if decision.warning else [],
        headers=limit_headers,
    )


CallerDep = Annotated[Caller, Depends(get_caller)]


async def single_query_values(request: Request) -> None:
    """Refuse a query parameter given twice (``?q=a&q=b``): which one counts is ambiguous.

    Raises:
        FieldError: 422 naming the parameter.
    """
    params = request.query_params
    for name in set(params.keys()):
        count = len(params.getlist(name))
        if count > 1:
            raise FieldError(
                f"{name} (query parameter)",
                f"query parameter {name!r} is given {count} times: give it once",
            )
