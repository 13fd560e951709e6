"""The evaluation harness: metrics side by side, report shape, unknown codes, the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from core.errors import UserError
from core.evaluation.harness import METHODS, EvalPair, evaluate, read_pairs
from core.evaluation.metrics import METRIC_NAMES
from tests.core.evaluation.conftest import SAMPLE


def _check_block(block: dict) -> None:
    assert set(block) == set(METHODS)
    for metrics in block.values():
        assert list(metrics) == list(METRIC_NAMES)
        assert all(0.0 <= v <= 1.0 for v in metrics.values())
        assert metrics["recall@1"] <= metrics["recall@5"] <= metrics["recall@10"]


def test_report_on_the_sample_pairs(session, eval_tenant):
    pairs = read_pairs(SAMPLE / "eval_sample.csv")
    report = evaluate(session, eval_tenant.tenant_id, pairs)
    known = [p for p in pairs if p.expected_code in eval_tenant.codes]
    assert report.n == len(known)
    assert report.unknown_codes == len(pairs) - len(known) > 0  # division 42 is not there
    assert all(code.startswith("42") for code in report.unknown_examples)
    data = report.to_json()
    assert set(data) == {"n", "methods", "loose"}
    _check_block(data["methods"])
    _check_block(data["loose"])
    for method in METHODS:
        for name in METRIC_NAMES:
            assert data["loose"][method][name] >= data["methods"][method][name]
    assert data["methods"]["weighted"]["recall@10"] > 0.3  # real signal, not noise


def test_labels_as_queries_are_found_first(session, eval_tenant, sample_labels):
    pairs = [EvalPair(label, code) for code, label in sample_labels]
    report = evaluate(session, eval_tenant.tenant_id, pairs)
    assert report.methods["weighted"]["recall@1"] == 1.0  # exact hits are pinned
    assert report.methods["lexical"]["recall@1"] == 1.0
    assert report.methods["rrf"]["mrr"] == 1.0


def test_loose_credit_accepts_the_parent(session, eval_tenant, sample_labels):
    code, label = next((c, lbl) for c, lbl in sample_labels if len(c.rstrip("0")) >= 5)
    from core.evaluation.seed import read_taxonomy

    parent = next(r for r in read_taxonomy(SAMPLE / "cpv_sample.csv") if r["code"] == code)
    report = evaluate(session, eval_tenant.tenant_id, [EvalPair(label, parent["parent_code"])])
    assert report.methods["weighted"]["recall@1"] == 0.0
    assert report.loose["weighted"]["recall@1"] == 1.0


@pytest.fixture
def sample_labels(eval_tenant) -> list[tuple[str, str]]:
    from core.evaluation.seed import read_taxonomy

    rows = [r for r in read_taxonomy(SAMPLE / "cpv_sample.csv") if r["code"] in eval_tenant.codes]
    return [(r["code"], r["label_fr"]) for r in rows[40:60]]


def test_bad_files(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("objet,code\nx,1\n", encoding="utf-8")
    with pytest.raises(UserError, match="missing column"):
        read_pairs(bad)
    with pytest.raises(UserError, match="not found"):
        read_pairs(tmp_path / "nope.csv")


def test_eval_command_writes_the_json_report(eval_tenant, tmp_path):
    from core.cli.main import app

    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "eval", str(SAMPLE / "eval_sample.csv"), "--tenant", eval_tenant.tenant_id,
            "--json", str(out), "--limit", "40",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "weighted" in result.output
    assert "skipped" in result.output  # division 42 pairs are reported
    data = json.loads(out.read_text())
    assert set(data) == {"n", "methods", "loose"}
    assert set(data["methods"]) == set(METHODS)
    assert data["n"] <= 40
