"""Per-language label checks, as the DataFrame the builds read."""

from __future__ import annotations

from core.language import QUALITY_COLUMNS, quality_report, quality_summary, translate_fields
from core.tenancy import ensure_tenant
from tests.fake_mistral.responders import tagged_translator


def _rows(report, check: str) -> set[tuple[str, object]]:
    part = report[report["check"] == check]
    return {(lang, code) for lang, code in zip(part["lang"], part["code"], strict=True)}


def test_quality_report_finds_each_kind_of_issue(
    session, tenant_id, make_concept, make_node
) -> None:
    make_concept("Q1", {"fr": "Tours", "en": "Lathes"}, synonyms={"fr": ["Fraiseuses"]})
    make_concept("Q2", {"fr": "tours ", "en": "Turning"})  # same fr label, other case
    make_concept("Q3", {"fr": "Fraiseuses"})  # no en label; Q1's synonym is its label
    make_concept("Q4", {"fr": "Tours"}, status="rejected")  # rejected: not checked
    make_node("N1", {"fr": "Machines"})

    report = quality_report(session, tenant_id, langs=["fr", "en"])

    assert list(report.columns) == QUALITY_COLUMNS
    assert _rows(report, "duplicate_label") == {("fr", "Q1"), ("fr", "Q2")}
    assert _rows(report, "synonym_is_other_label") == {("fr", "Q1")}
    assert _rows(report, "missing_label") == {("en", "Q3"), ("en", "N1")}
    node_row = report[(report["check"] == "missing_label") & (report["code"] == "N1")].iloc[0]
    assert node_row["kind"] == "glossary_node"
    assert int(node_row["node_id"]) > 0
    dup = report[(report["check"] == "duplicate_label") & (report["code"] == "Q1")].iloc[0]
    assert "also used by concept(s)" in dup["detail"]
    summary = quality_summary(report)
    assert summary.set_index(["check", "lang"]).loc[("duplicate_label", "fr"), "count"] == 2


def test_quality_report_is_tenant_scoped(session, tenant_id, make_concept) -> None:
    make_concept("R1", {"fr": "Presses", "en": "Presses"})
    other = f"{tenant_id}_other"
    ensure_tenant(session, other)
    from tests.fake_mistral.rows import add_concept

    add_concept(session, other, "R1", {"fr": "Presses", "en": "Presses"})

    report = quality_report(session, tenant_id, include_nodes=False)

    assert report.empty


def test_stale_machine_translation_is_reported(session, tenant_id, make_concept, llm, fake):
    fake.state.reset(responder=tagged_translator)
    concept = make_concept("S1", {"fr": "Scies"})
    translate_fields(session, [concept], ["labels"], ["en"], llm=llm)
    assert quality_report(session, tenant_id, include_nodes=False).empty

    concept.labels = {**concept.labels, "fr": "Scies à ruban"}
    session.flush()
    report = quality_report(session, tenant_id, include_nodes=False)

    assert _rows(report, "stale_translation") == {("en", "S1")}
