"""Run the fake Mistral app with uvicorn on 127.0.0.1 and a free port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from tests.fake_mistral.app import API_KEY, FakeMistralState, create_app


@dataclass
class FakeMistralServer:
    """A running fake: its URL (``server_url`` for the client), key and scriptable state."""

    url: str
    api_key: str
    state: FakeMistralState


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot own signal handlers
        return None


@contextmanager
def run_fake_mistral(*, startup_timeout_s: float = 10.0) -> Iterator[FakeMistralServer]:
    """Start the fake on a loopback port chosen by the OS; stop it on exit."""
    state = FakeMistralState()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(state),
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
        access_log=False,
    )
    server = _Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-mistral", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake Mistral server did not start")
        time.sleep(0.01)
    try:
        yield FakeMistralServer(url=f"http://127.0.0.1:{port}", api_key=API_KEY, state=state)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
