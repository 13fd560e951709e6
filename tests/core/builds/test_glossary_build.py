"""Build step 1: taxonomy import + quality report."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.builds.glossary import build_glossary
from core.builds.quality import NodeRecord, quality_report
from core.errors import NotFoundError, ValidationProblems
from core.models import GlossaryNode


def _node_count(session, tenant_id: str) -> int:
    return session.scalar(
        select(func.count()).select_from(GlossaryNode).where(GlossaryNode.tenant_id == tenant_id)
    )


def test_build_imports_reports_and_is_idempotent(session, tenant_id, mini_sample) -> None:
    first = build_glossary(session, tenant_id, taxonomy_path=mini_sample["cpv"])
    assert first.taxonomy == "cpv"
    assert first.counts["created"] == first.counts["nodes"] == 71
    assert _node_count(session, tenant_id) == 71
    # real CPV labels: both languages everywhere, a sound tree
    assert first.counts["quality_errors"] == 0
    assert set(first.quality_summary["check"]) >= {"cycle", "orphan", "missing_label"}
    assert first.levels["nodes"].sum() == 71
    assert first.levels.iloc[0].tolist() == [1, 1]  # one division at level 1
    assert first.report()["details"]["taxonomy"] == "cpv"

    again = build_glossary(session, tenant_id, taxonomy_path=mini_sample["cpv"])
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.counts["unchanged"] == 71
    assert again.changes == 0


def test_dry_run_writes_nothing(session, tenant_id, mini_sample) -> None:
    result = build_glossary(session, tenant_id, taxonomy_path=mini_sample["cpv"], dry_run=True)
    assert result.counts["created"] == 71
    assert result.dry_run
    assert _node_count(session, tenant_id) == 0


def test_bad_file_is_refused_and_nothing_written(session, tenant_id, tmp_path: Path) -> None:
    bad = tmp_path / "cpv_bad.csv"
    bad.write_text(
        "code,parent_code,level,label_fr,label_en\n"
        "50000000,,1,Services,Services\n"
        "50100000,99999999,2,Réparation,Repair\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationProblems, match="99999999"):
        build_glossary(session, tenant_id, taxonomy_path=bad)
    assert _node_count(session, tenant_id) == 0
    with pytest.raises(NotFoundError, match="file not found"):
        build_glossary(session, tenant_id, taxonomy_path=tmp_path / "missing.csv")


def test_quality_report_finds_every_kind_of_problem() -> None:
    nodes = [
        NodeRecord("1", None, 1, {"fr": "Pompes", "en": "Pumps"}),
        NodeRecord("2", "1", 2, {"fr": "pompes ", "en": "Pumps (other)"}),  # clash in fr
        NodeRecord("3", "4", 2, {"fr": "A", "en": "A"}),  # cycle 3 ↔ 4
        NodeRecord("4", "3", 2, {"fr": "B", "en": "B"}),
        NodeRecord("6", "77", 2, {"fr": "C"}),  # orphan, no English label
        NodeRecord("5", "1", 2, {"fr": "D", "en": "D"}),
        NodeRecord("5", "1", 2, {"fr": "E", "en": "E"}),  # duplicate code
    ]
    report = quality_report(nodes, ["fr", "en"])
    found = {(row.check, row.code) for row in report.itertuples()}
    assert ("cycle", "3") in found
    assert ("orphan", "6") in found
    assert ("duplicate_code", "5") in found
    assert ("missing_label", "6") in found
    assert ("label_clash", "1") in found
    assert set(report.loc[report["check"] == "cycle", "severity"]) == {"error"}
