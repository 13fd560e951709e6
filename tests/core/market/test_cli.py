"""``marketlounge market …`` end to end on the real sample tenant."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from core.cli.main import app

runner = CliRunner()


def test_market_tension_prints_the_most_tense_concepts(decp_tenant: str) -> None:
    result = runner.invoke(app, ["market", "tension", "--tenant", decp_tenant, "--top", "5"])

    assert result.exit_code == 0, result.output
    assert "2018-Q4 → 2019-Q1" in result.output
    assert "50750000" in result.output  # lift maintenance: 10 contracts for 4 suppliers


def test_market_tension_by_region_to_csv(decp_tenant: str, tmp_path: Path) -> None:
    out = tmp_path / "regions.csv"
    result = runner.invoke(
        app,
        ["market", "tension", "-t", decp_tenant, "--by", "region", "--csv", str(out)],
    )

    assert result.exit_code == 0, result.output
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert "region_name" in header
    assert "tension_index" in header


def test_market_report_writes_an_offline_file(decp_tenant: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "market", "report", "-t", decp_tenant, "--out", str(out),
            "--branch", "50000000", "--period-from", "2018-10-01", "--freq", "M",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "opens offline" in result.output
    assert "branch 50000000" in out.read_text(encoding="utf-8")


def test_market_commands_refuse_bad_input_with_one_line(decp_tenant: str) -> None:
    bad_tenant = runner.invoke(app, ["market", "tension", "--tenant", "acme"])
    assert bad_tenant.exit_code == 2
    assert "invalid tenant id" in bad_tenant.output
    bad_by = runner.invoke(app, ["market", "tension", "-t", decp_tenant, "--by", "planet"])
    assert bad_by.exit_code == 2
    assert "unknown dimension" in bad_by.output
    bad_region = runner.invoke(app, ["market", "report", "-t", decp_tenant, "--region", "Mars"])
    assert "unknown région" in bad_region.output
    bad_out = runner.invoke(app, ["market", "report", "-t", decp_tenant, "--out", "r.pdf"])
    assert "ending in .html" in bad_out.output
    unknown = runner.invoke(app, ["market", "classify", "-t", "tenant_nobody_here_x"])
    assert unknown.exit_code == 3
    assert "unknown tenant" in unknown.output


def test_market_classify_and_to_classify(decp_tenant: str) -> None:
    result = runner.invoke(app, ["market", "classify", "-t", decp_tenant])
    assert result.exit_code == 0, result.output
    assert "0 demands examined" in result.output  # the fixture classified them already
    listed = runner.invoke(app, ["market", "to-classify", "-t", decp_tenant])
    assert listed.exit_code == 0
    assert "nothing to classify" in listed.output
