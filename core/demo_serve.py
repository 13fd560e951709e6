"""The end of ``make run``: print the demo API key and logins, then serve API + workbench.

Both servers run as child processes of one command, so ``make run`` ends in a state a person
can use (curl the API, open the workbench) and one Ctrl-C stops everything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.config import Settings, get_settings

Echo = Callable[[str], None]


@dataclass(frozen=True)
class DemoAccess:
    """What a person needs to try the demo: the API key and the workbench logins."""

    api_key: str | None
    logins: list[tuple[str, str, str]]


def prepare_access(tenant_id: str, settings: Settings | None = None) -> DemoAccess:
    """Ensure the demo API key and workbench users exist; return them for printing."""
    from core.apikeys import ensure_demo_key, stored_demo_key
    from core.db import session_scope
    from core.users import ensure_demo_users

    with session_scope(settings) as session:
        ensure_demo_key(session, tenant_id, settings)
        key = stored_demo_key(session, tenant_id, settings)
        logins = ensure_demo_users(session, tenant_id)
    return DemoAccess(api_key=key, logins=logins)


def curl_example(api_key: str, settings: Settings | None = None) -> str:
    """A ``curl`` call of ``POST /match`` that works as written against the demo.

    >>> print(curl_example("mlk_x", Settings(api_port=8000)))  # doctest: +ELLIPSIS
    curl -s -X POST http://127.0.0.1:8000/match -H 'X-API-Key: mlk_x' ...
    """
    settings = settings or get_settings()
    return (
        f"curl -s -X POST http://127.0.0.1:{settings.api_port}/match "
        f"-H 'X-API-Key: {api_key}' -H 'Content-Type: application/json' "
        """-d '{"query": "maintenance de compresseurs", "top_k": 5}'"""
    )


def print_access(access: DemoAccess, echo: Echo, settings: Settings | None = None) -> None:
    """Print the key, a curl example and the logins (French first, English after)."""
    settings = settings or get_settings()
    if access.api_key:
        echo(f"Clé API de démo / demo API key: {access.api_key}")
        echo(f"  {curl_example(access.api_key, settings)}")
    echo(f"Workbench: http://127.0.0.1:{settings.workbench_port}  (identifiants / logins:)")
    for username, password, role in access.logins:
        echo(f"  {role:<8} {username} / {password}")


def serve_both(echo: Echo, settings: Settings | None = None) -> int:
    """Run ``serve api`` and ``serve workbench`` until Ctrl-C or until one of them exits."""
    settings = settings or get_settings()
    base = [sys.executable, "-m", "core.cli.main", "serve"]
    # Each server in its own process group, so stopping it also stops its own children
    # (streamlit under `serve workbench`, uvicorn workers under `serve api`).
    children = [
        subprocess.Popen([*base, "api", "--port", str(settings.api_port)], start_new_session=True),
        subprocess.Popen(
            [*base, "workbench", "--port", str(settings.workbench_port)], start_new_session=True
        ),
    ]
    echo("Ctrl-C arrête les deux serveurs / stops both servers.")

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)  # `kill` and process managers stop both, too
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            _signal_group(child, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
    failed = [c.returncode for c in children if c.returncode not in (0, None, -2, 130)]
    return failed[0] if failed else 0


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signum)
