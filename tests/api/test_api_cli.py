"""The CLI of this area: ``apikey create|list|revoke`` and ``serve api|workbench`` for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from core.cli.main import app
from tests.api.api_helpers import PUMPS, SeededTenant, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_apikey_create_prints_the_key_once_then_list_and_revoke(
    settings, tenant_a: SeededTenant
) -> None:
    from core.apikeys import verify_api_key
    from core.db import session_scope

    created = runner.invoke(app, ["apikey", "create", "--tenant", tenant_a.tenant_id, "-n", "cli"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("mlk_")
    prefix = key.split("_")[1]
    with session_scope() as session:
        info = verify_api_key(session, key)
    assert info is not None
    assert info.tenant_id == tenant_a.tenant_id

    listed = runner.invoke(app, ["apikey", "list", "--tenant", tenant_a.tenant_id])
    assert listed.exit_code == 0
    assert prefix in listed.stdout
    assert key not in listed.stdout  # the secret is never shown again

    revoked = runner.invoke(app, ["apikey", "revoke", prefix, "--tenant", tenant_a.tenant_id])
    assert revoked.exit_code == 0
    assert "revoked" in revoked.stdout
    with session_scope() as session:
        assert verify_api_key(session, key) is None
    after = runner.invoke(app, ["apikey", "list", "--tenant", tenant_a.tenant_id])
    assert prefix not in after.stdout


def test_apikey_errors_are_one_line_with_a_non_zero_exit(settings, tenant_a) -> None:
    unknown = runner.invoke(app, ["apikey", "revoke", "00000000", "--tenant", tenant_a.tenant_id])
    assert unknown.exit_code == 3
    assert "apikey list" in unknown.output
    bad_tenant = runner.invoke(app, ["apikey", "create", "--tenant", "demo"])
    assert bad_tenant.exit_code == 2
    assert "invalid tenant id" in bad_tenant.output


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"{url} did not answer within {timeout:.0f} s")


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "marketlounge"), *args]
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, "API_RATE_LIMIT_PER_MINUTE": "100000"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def served_api(settings, tenant_a: SeededTenant) -> Iterator[str]:
    port = free_port()
    process = _start(["serve", "api", "--port", str(port), "--log-level", "warning"])
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/health", process)
        yield base
    finally:
        _stop(process)


def test_serve_api_answers_match_over_http(served_api: str, tenant_a: SeededTenant) -> None:
    response = httpx.post(
        f"{served_api}/v1/match",
        json={"query": tenant_a.labels[PUMPS]["fr"], "top_k": 3},
        headers={"Authorization": f"Bearer {tenant_a.key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["shortlist"][0]["code"] == PUMPS
    assert response.headers["x-request-id"] == response.json()["request_id"]
    ready = httpx.get(f"{served_api}/ready", timeout=10).json()
    assert ready["checks"]["database"]["status"] == "ok"
    assert ready["matcher"]["model_loaded"] is True  # warmed in the lifespan


def test_serve_workbench_runs_streamlit_on_the_port(settings) -> None:
    port = free_port()
    process = _start(["serve", "workbench", "--port", str(port)])
    try:
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", process)
    finally:
        _stop(process)
