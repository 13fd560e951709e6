"""``marketlounge match`` and ``marketlounge index`` through the real CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from core.cli.main import app


def test_match_json(match_tenant):
    result = CliRunner().invoke(
        app, ["match", "pompes", "--tenant", match_tenant.tenant_id, "--top-k", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["shortlist"][0]["code"] == "42122000"
    assert data["shortlist"][0]["companies"][0]["name"] == "Pompes Dupont"
    assert data["shortlist"][0]["explanation"]["sentence_en"]
    assert len(data["shortlist"]) <= 3


def test_match_table_shows_the_french_explanation(match_tenant):
    result = CliRunner().invoke(
        app,
        [
            "match", "compresseurs d'air", "--tenant", match_tenant.tenant_id,
            "--fusion", "rrf", "--branch", "42000000",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Compresseurs d'air" in result.output
    assert "fusion RRF" in result.output
    assert "cache miss" in result.output


def test_match_bad_input_is_one_line_and_exit_2(match_tenant):
    result = CliRunner().invoke(
        app, ["match", "pompes", "--tenant", match_tenant.tenant_id, "--top-k", "0"]
    )
    assert result.exit_code == 2
    assert "top_k must be between 1 and 50" in result.output
    assert "Traceback" not in result.output
    unknown = CliRunner().invoke(
        app, ["match", "pompes", "--tenant", match_tenant.tenant_id, "--company", "999999"]
    )
    assert unknown.exit_code == 3
    assert "unknown company_id" in unknown.output


def test_index_command(small_tenant):
    result = CliRunner().invoke(app, ["index", "--tenant", small_tenant])
    assert result.exit_code == 0, result.output
    assert "flat" in result.output
    assert "recall@10 1.000" in result.output
