"""The main job: imports the whole sample, and a second run changes nothing."""

from __future__ import annotations

import csv
import uuid

from typer.testing import CliRunner

from core.cli.main import app
from core.demo import SAMPLE_DIR, STEPS, run_demo


def _rows(name: str) -> int:
    with (SAMPLE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_demo_imports_the_sample_then_is_idempotent(engine) -> None:
    tenant = f"tenant_demo_{uuid.uuid4().hex[:8]}"
    lines: list[str] = []
    first = run_demo(tenant_id=tenant, echo=lines.append)
    assert first["tenant_id"] == tenant
    assert list(first["steps"]) == [step.name for step in STEPS]
    assert sum(line.startswith("[") for line in lines) == len(STEPS)
    counts = first["counts"]
    assert counts["glossary_nodes"] == _rows("cpv_sample.csv") + _rows("naf_sample.csv")
    assert counts["company_profiles"] == _rows("companies_sample.csv")
    assert counts["demands"] == _rows("decp_sample.csv")
    assert first["steps"]["taxonomy_cpv"]["created"] == _rows("cpv_sample.csv")

    second = run_demo(tenant_id=tenant, echo=lines.append)
    assert second["counts"] == first["counts"]
    for name, summary in second["steps"].items():
        if "created" in summary:  # an import step
            assert (summary["created"], summary["updated"]) == (0, 0), name
            assert summary["unchanged"] > 0, name


def test_demo_command_prints_the_table_and_next_steps(engine) -> None:
    tenant = f"tenant_demo_{uuid.uuid4().hex[:8]}"
    result = CliRunner().invoke(app, ["demo", "--tenant", tenant], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table_rows = {
        cells[1]: cells[2]
        for line in result.stdout.splitlines()
        if len(cells := [c.strip() for c in line.split("│")]) == 4
    }
    assert table_rows["demands"] == str(_rows("decp_sample.csv"))
    assert table_rows["glossary_nodes"] == str(_rows("cpv_sample.csv") + _rows("naf_sample.csv"))
    assert "marketlounge status" in result.stdout
