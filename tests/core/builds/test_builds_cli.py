"""``marketlounge build`` / ``runs`` / ``schedule``: one clear line and exit ≠ 0 on bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from core.cli.main import app
from core.db import session_scope
from core.models import BuildRun

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("build", "glosary"), 3, "unknown build step 'glosary'"),
        (("build", "glossary", "-p", "taxonomy_path=/no/such.csv"), 3, "file not found"),
        (("build", "dico", "-p", "treshold=0.4"), 2, "unknown parameter 'treshold'"),
        (("build", "activations", "-p", "threshold=high"), 2, "between 0 and 1"),
        (("build", "index", "-p", "oops"), 2, "write key=value"),
    ],
)
def test_bad_build_requests(engine, tenant_id, args, code, message) -> None:
    result = _run(*args, "--tenant", tenant_id)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert result.output.count("error:") == 1
    with session_scope() as session:
        assert not session.query(BuildRun).filter_by(tenant_id=tenant_id).count()


def test_unknown_and_invalid_tenants(engine) -> None:
    unknown = _run("build", "all", "--tenant", "tenant_nobody_here")
    assert unknown.exit_code == 3
    assert "unknown tenant 'tenant_nobody_here'" in unknown.output
    assert "building" not in unknown.output  # refused before anything starts
    invalid = _run("build", "all", "--tenant", "nobody")
    assert invalid.exit_code == 2
    assert "invalid tenant id" in invalid.output


def test_runs_lists_the_history(engine, tenant_id) -> None:
    assert "no build run yet" in _run("runs", "--tenant", tenant_id).output
    with session_scope() as session:
        session.add_all(
            [
                BuildRun(tenant_id=tenant_id, step="glossary", status="ok", parameters={},
                         counts={"created": 71, "updated": 0}, report={}, duration_s=2.5,
                         notebook_path="/runs/x-glossary.ipynb", finished_at=datetime.now(UTC)),
                BuildRun(tenant_id=tenant_id, step="dico", status="failed", parameters={},
                         counts={}, report={}, duration_s=1.0,
                         error="cell 5 (`result = build_dico(`) raised ValueError: boom"),
            ]
        )  # fmt: skip
    result = _run("runs", "--tenant", tenant_id)
    assert result.exit_code == 0, result.output
    assert "glossary" in result.output
    assert "created=71" in result.output
    assert "raised ValueError: boom" in result.output
    only = _run("runs", "--tenant", tenant_id, "--step", "dico", "--json")
    assert '"step": "dico"' in only.output
    assert '"glossary"' not in only.output
    assert _run("runs", "--tenant", "tenant_nobody_here").exit_code == 3


def test_schedule_needs_a_target_and_dry_runs(engine, tenant_id) -> None:
    assert _run("schedule").exit_code == 2
    result = _run("schedule", "--tenant", tenant_id, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"{tenant_id}: due glossary, dico, activations, index" in result.output
