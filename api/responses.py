"""Answers built once: a route returns its pydantic model already serialised.

FastAPI would otherwise validate the returned model again against ``response_model`` (in the
threadpool, for ``def`` routes) before serialising it; the routes build their models from
typed ``core`` results, so that second pass only costs time on every cache hit. The
``response_model`` stays declared on each route for the OpenAPI schema, and schemathesis
checks in the test suite that answers conform to it.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def model_response(
    model: BaseModel, *, headers: Mapping[str, str] | None = None, status_code: int = 200
) -> Response:
    """``model`` as a JSON response with extra headers.

    >>> from api.schemas import HealthOut
    >>> model_response(HealthOut(), headers={"X-A": "1"}).body
    b'{"status":"ok"}'
    """
    return Response(
        content=model.model_dump_json(),
        media_type="application/json",
        headers=dict(headers or {}),
        status_code=status_code,
    )
