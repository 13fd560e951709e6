"""One ASGI middleware around every request: request id, body limit, metrics, last-resort 500.

Plain ASGI (not ``BaseHTTPMiddleware``) because it runs on every request, including the
cache hits the load benchmark measures.
"""

from __future__ import annotations

import logging
import time
import uuid

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import REQUEST_ID_KEY, error_body
from api.metrics import ApiMetrics

logger = logging.getLogger("api")

UNMATCHED_ROUTE = "<unmatched>"


def too_large_message(limit: int) -> str:
    """The 413 message: the limit and how to stay under it.

    >>> too_large_message(16384)  # doctest: +ELLIPSIS
    'request body larger than 16384 bytes (API_MAX_BODY_BYTES): send a shorter query...'
    """
    return (
        f"request body larger than {limit} bytes (API_MAX_BODY_BYTES): send a shorter query "
        "or fewer options (corps de requête trop volumineux)"
    )


class RequestMiddleware:
    """Give each request an id (``X-Request-ID``), cap the body, time it and catch crashes.

    Args:
        app: the wrapped ASGI app.
        metrics: where finished requests are counted.
        max_body_bytes: bodies above this get 413 (by ``Content-Length`` or while streaming).
    """

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope[REQUEST_ID_KEY] = request_id
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        self.metrics.in_progress.inc()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers.append("X-Request-ID", request_id)
            await send(message)

        try:
            declared = _content_length(scope)
            if declared is not None and declared > self.max_body_bytes:
                await self._reply(scope, receive, send_with_id, 413, request_id)
                return
            await self.app(scope, self._capped(receive), send_with_id)
        except Exception:
            logger.exception(
                "unhandled error on %s %s (request_id=%s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
            )
            if status["sent"]:
                raise
            await self._reply(scope, receive, send_with_id, 500, request_id)
        finally:
            self.metrics.in_progress.dec()
            self.metrics.observe(
                route_label(scope),
                scope.get("method", ""),
                int(status["code"]),
                time.perf_counter() - started,
            )

    def _capped(self, receive: Receive) -> Receive:
        """``receive`` that stops a chunked body at the limit (FastAPI turns it into 413)."""
        seen = 0
        limit = self.max_body_bytes

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(status_code=413, detail=too_large_message(limit))
            return message

        return capped

    async def _reply(
        self, scope: Scope, receive: Receive, send: Send, code: int, request_id: str
    ) -> None:
        detail = too_large_message(self.max_body_bytes) if code == 413 else "internal error"
        response = JSONResponse(error_body(detail, request_id), status_code=code)
        await response(scope, receive, send)


def route_label(scope: Scope) -> str:
    """The route template of a request (``/v1/match/{request_id}``), for metric labels.

    FastAPI puts the *original* route of an included router in ``scope["route"]``, without the
    prefix it was included under; the prefix is the leading path segments the template lacks.
    """
    template = getattr(scope.get("route"), "path", None)
    if not template:
        return UNMATCHED_ROUTE
    return with_prefix(str(scope.get("path", "")), template)


def with_prefix(path: str, template: str) -> str:
    """``template`` preceded by the extra leading segments of ``path``.

    >>> with_prefix("/v1/match/123", "/match/{request_id}")
    '/v1/match/{request_id}'
    >>> with_prefix("/match", "/match")
    '/match'
    """
    extra = path.rstrip("/").count("/") - template.rstrip("/").count("/")
    if extra <= 0:
        return template
    return "/".join(path.split("/")[: extra + 1]) + template


def _content_length(scope: Scope) -> int | None:
    """The declared body size, ``None`` when absent or unreadable (the body is then counted)."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
