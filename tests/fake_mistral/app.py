"""The fake server app: POST /v1/chat/completions in Mistral's response shape.

Behaviour is a queue: each request pops the next scripted :class:`Behaviour`; when the queue
is empty the request is answered normally by the current responder (a function of the
request body, so a test can play a deterministic "model"). Every request is recorded.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

API_KEY = "test-key"
"""The key the fake accepts (any other gets HTTP 401, like the real service)."""

Responder = Callable[[dict[str, Any]], str]


def default_responder(body: dict[str, Any]) -> str:
    """Echo-ish default answer, so a test that scripts nothing still gets a valid reply."""
    last = body.get("messages", [{}])[-1].get("content", "")
    return f"fake answer to: {str(last)[:40]}"


@dataclass
class Behaviour:
    """What the fake does with one request.

    kind: ``ok`` (answer), ``slow`` (answer after ``delay_s``), ``status`` (HTTP error with
    ``headers``), ``malformed`` (HTTP 200 whose message content is ``content`` as given, e.g.
    broken JSON), ``bad_envelope`` (HTTP 200 with a body that is not JSON at all), ``drop``
    (close the connection without any response).
    """

    kind: str
    content: str | Responder | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def ok(content: str | Responder | None = None) -> Behaviour:
    """Answer normally (``content`` or the responder's answer)."""
    return Behaviour("ok", content)


def slow(delay_s: float, content: str | Responder | None = None) -> Behaviour:
    """Answer only after ``delay_s`` seconds (longer than the client's timeout)."""
    return Behaviour("slow", content, delay_s=delay_s)


def status(code: int, *, headers: dict[str, str] | None = None) -> Behaviour:
    """Answer an HTTP error with a Mistral-like JSON body."""
    return Behaviour("status", status=code, headers=headers or {})


def rate_limited(retry_after: str | None = "1") -> Behaviour:
    """HTTP 429, with ``Retry-After`` when given."""
    return status(429, headers={"Retry-After": retry_after} if retry_after is not None else {})


def server_error(code: int = 500) -> Behaviour:
    """HTTP 5xx."""
    return status(code)


def malformed(content: str = '{"translations": ["unterminated"') -> Behaviour:
    """HTTP 200 whose message content is not valid JSON (for ``complete_json`` repairs)."""
    return Behaviour("malformed", content)


def bad_envelope() -> Behaviour:
    """HTTP 200 with a body that is not a chat completion at all."""
    return Behaviour("bad_envelope")


def drop() -> Behaviour:
    """Close the TCP connection without sending a response."""
    return Behaviour("drop")


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received, and what it did with it."""

    body: dict[str, Any]
    authorization: str | None
    behaviour: str
    received_at: float
    usage: dict[str, int] | None


class FakeMistralState:
    """The script and the log of one fake server; thread-safe (tests run in another thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Behaviour] = deque()
        self._requests: list[RecordedRequest] = []
        self.responder: Responder = default_responder
        self.generation = 0  # bumped by reset: a request from before is not logged after

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, in order."""
        with self._lock:
            self._queue.extend(behaviours)

    def reset(self, responder: Responder | None = None) -> None:
        """Empty the queue and the log; set the normal responder."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self.responder = responder or default_responder
            self.generation += 1

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else Behaviour("ok")

    def log(self, request: RecordedRequest, generation: int) -> None:
        with self._lock:
            if generation == self.generation:
                self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received so far, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """Scripted behaviours not used yet."""
        with self._lock:
            return len(self._queue)

    def kinds(self) -> list[str]:
        """The behaviour applied to each request, in order (``["status:429", "ok"]``)."""
        return [r.behaviour for r in self.requests]


def _tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer (about four characters per token)."""
    return len(text) // 4 + 1


def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    prompt_text = "".join(str(m.get("content", "")) for m in body.get("messages", []))
    usage = {
        "prompt_tokens": _tokens(prompt_text),
        "completion_tokens": _tokens(content),
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {
        "id": f"cmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "model": body.get("model", "fake-model"),
        "created": int(time.time()),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def create_app(state: FakeMistralState) -> Callable[..., Any]:
    """The ASGI app. An outer layer hands the connection's transport to the route (``drop``)."""
    api = FastAPI(title="fake Mistral")

    @api.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        generation = state.generation
        body = await request.json()
        auth = request.headers.get("authorization")
        behaviour = state.next_behaviour()
        label = behaviour.kind if behaviour.kind != "status" else f"status:{behaviour.status}"

        def record(usage: dict[str, int] | None = None) -> None:
            state.log(RecordedRequest(body, auth, label, time.monotonic(), usage), generation)

        if auth != f"Bearer {API_KEY}":
            record()
            return JSONResponse({"message": "Unauthorized", "request_id": "x"}, status_code=401)
        if behaviour.kind == "drop":
            record()
            transport = request.scope.get("fake_mistral.transport")
            if transport is not None:
                transport.close()
            await asyncio.sleep(0.05)
            return Response(status_code=204)
        if behaviour.kind == "status":
            record()
            return JSONResponse(
                {"object": "error", "message": "scripted failure", "type": "fake"},
                status_code=behaviour.status,
                headers=behaviour.headers,
            )
        if behaviour.kind == "bad_envelope":
            record()
            return Response("<html>proxy error</html>", media_type="application/json")
        if behaviour.kind == "slow":
            # Logged on arrival: a client that gives up must not show up in a later test's log.
            record()
            loop = asyncio.get_running_loop()
            end = loop.time() + behaviour.delay_s
            while loop.time() < end:  # notice the client leaving, so no task lingers
                if await request.is_disconnected():
                    return Response(status_code=499)
                await asyncio.sleep(0.02)
        source = behaviour.content if behaviour.content is not None else state.responder
        content = source(body) if callable(source) else source
        payload = _completion(body, content)
        if behaviour.kind != "slow":
            record(payload["usage"])
        return JSONResponse(payload)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            owner = getattr(send, "__self__", None)  # uvicorn's request/response cycle
            scope = {**scope, "fake_mistral.transport": getattr(owner, "transport", None)}
        await api(scope, receive, send)

    return app


def json_responder(fn: Callable[[dict[str, Any]], Any]) -> Responder:
    """Wrap a function returning a Python object into a responder answering its JSON."""

    def respond(body: dict[str, Any]) -> str:
        return json.dumps(fn(body), ensure_ascii=False)

    return respond
