"""Error responses: one JSON shape (``ErrorOut``), messages that say what to fix, no traces."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import ErrorOut, FieldProblem
from core.errors import UserError

logger = logging.getLogger("api")

REQUEST_ID_KEY = "marketlounge.request_id"
"""Key of the request id in the ASGI scope (set by ``api.middleware``)."""

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Body not readable (not UTF-8 JSON)."},
    401: {"model": ErrorOut, "description": "Missing, unknown or revoked API key."},
    413: {"model": ErrorOut, "description": "Body larger than API_MAX_BODY_BYTES."},
    422: {"model": ErrorOut, "description": "Invalid input; `errors` names each field."},
    429: {
        "model": ErrorOut,
        "description": "Rate limit of the API key reached; wait `Retry-After` seconds.",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    },
    500: {"model": ErrorOut, "description": "Internal error; quote the request_id."},
    503: {"model": ErrorOut, "description": "The matcher is not loaded (see GET /ready)."},
}
"""Errors every authenticated route may answer (documented in the OpenAPI schema)."""

NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Not found in this tenant."}
}


def request_id_of(request: Request) -> str | None:
    """The id the middleware gave this request (also in the ``X-Request-ID`` header)."""
    value = request.scope.get(REQUEST_ID_KEY)
    return str(value) if value else None


def error_body(
    detail: str, request_id: str | None, errors: Sequence[FieldProblem] | None = None
) -> dict[str, Any]:
    """The JSON of an error response.

    >>> error_body("bad", "r1")
    {'detail': 'bad', 'request_id': 'r1'}
    """
    body = ErrorOut(detail=detail, request_id=request_id, errors=list(errors) if errors else None)
    return body.model_dump(exclude_none=True)


def _field_name(loc: Sequence[Any]) -> str:
    """``("body", "fusion", "rrf_k")`` → ``fusion.rrf_k``; query and path params keep a tag.

    >>> _field_name(("body", "fusion", "rrf_k"))
    'fusion.rrf_k'
    >>> _field_name(("query", "limit"))
    'limit (query parameter)'
    >>> _field_name(("body",))
    'body'
    """
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body" and len(parts) > 1:
        return ".".join(parts[1:])
    if parts and parts[0] in {"query", "path", "header"} and len(parts) > 1:
        return f"{'.'.join(parts[1:])} ({parts[0]} parameter)"
    return ".".join(parts) or "body"


def _problem(error: dict[str, Any]) -> FieldProblem:
    field = _field_name(error.get("loc", ()))
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "missing":
        message = "this field is required"
    elif error.get("type") == "extra_forbidden":
        message = "unknown field: remove it (see the schema at /docs)"
    elif error.get("type") in {"json_invalid", "model_attributes_type", "dict_type"}:
        message = f"{message}: send a JSON object (Content-Type: application/json)"
    return FieldProblem(field=field, message=message)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(e) for e in exc.errors()][:20]
    summary = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
    return JSONResponse(
        error_body(f"invalid request: {summary}", request_id_of(request), problems),
        status_code=422,
    )


async def _user_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UserError)
    field = getattr(exc, "field", None)
    problems = [FieldProblem(field=field, message=str(exc))] if field else None
    return JSONResponse(
        error_body(str(exc), request_id_of(request), problems), status_code=exc.status_code
    )


FASTAPI_BODY_ERROR = "There was an error parsing the body"
UNREADABLE_BODY = (
    "the body could not be read: send UTF-8 encoded JSON with Content-Type: application/json, "
    'e.g. {"query": "usinage titane"}'
)


async def _http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    if exc.status_code == 400 and detail == FASTAPI_BODY_ERROR:
        detail = UNREADABLE_BODY
    return JSONResponse(
        error_body(detail, request_id_of(request)),
        status_code=exc.status_code,
        headers=dict(exc.headers or {}),
    )


class FieldError(UserError):
    """A request field over a server limit (422), with the field named for the caller."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the ``ErrorOut`` shape."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(UserError, _user_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
