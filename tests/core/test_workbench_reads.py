"""Read helpers behind the workbench: glossary browsing, query log, pick lists, run summaries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from core import glossary_browse, lookups, query_log
from core.errors import NotFoundError, UserError
from core.notebook_summary import notebook_summary
from tests.curation_seed import NODES, Seed, seed_tenant


@pytest.fixture
def seed(session, tenant_id, embedder) -> Seed:
    return seed_tenant(session, tenant_id, embedder)


def test_glossary_roots_children_search_and_detail(session, seed: Seed) -> None:
    tid = seed.tenant_id
    assert glossary_browse.taxonomies(session, tid) == {"cpv": len(NODES)}
    roots = glossary_browse.children(session, tid, None)
    assert [(r.code, r.children) for r in roots] == [("42000000", 1), ("50000000", 1)]
    pumps = glossary_browse.children(session, tid, seed.nodes["42120000"], lang="en")
    assert [(r.code, r.label) for r in pumps] == [
        ("42122000", "Pumps"),
        ("42123000", "Compressors"),
    ]
    assert [r.code for r in glossary_browse.search_nodes(session, tid, "4212")] == [
        "42120000", "42122000", "42123000", "42122130", "42122430"
    ]  # fmt: skip
    assert [r.code for r in glossary_browse.search_nodes(session, tid, "CENTRIFUG")] == [
        "42122430"
    ]
    assert glossary_browse.search_nodes(session, tid, "100%") == []
    detail = glossary_browse.node_detail(session, tid, seed.nodes["42122130"])
    assert [c.code for c in detail.breadcrumbs] == [
        "42000000", "42100000", "42120000", "42122000", "42122130"
    ]  # fmt: skip
    assert {c.concept_id for c in detail.concepts} == {
        seed.concepts["pompes_eau"], seed.concepts["pompes_eau_bis"]
    }  # fmt: skip
    assert detail.provenance["label:fr"]["source"] == "imported"
    with pytest.raises(NotFoundError):
        glossary_browse.node_detail(session, f"{tid}_x", seed.nodes["42122130"])


def test_glossary_report_and_stale(session, seed: Seed) -> None:
    from core.models import Concept

    report = glossary_browse.last_glossary_report(session, seed.tenant_id)
    assert report.counts == {"nodes": len(NODES)}
    assert report.quality[0]["check"] == "missing_label"
    assert glossary_browse.stale_concepts(session, seed.tenant_id) == []
    session.get(Concept, seed.concepts["centrifuges"]).is_stale = True
    session.flush()
    stale = glossary_browse.stale_concepts(session, seed.tenant_id)
    assert [c.concept_id for c in stale] == [seed.concepts["centrifuges"]]
    branches = glossary_browse.branches(session, seed.tenant_id)
    assert [b.code for b in branches] == ["42000000", "42100000", "50000000", "50510000"]


def test_query_log_filters_candidates_and_detail(session, seed: Seed) -> None:
    tid = seed.tenant_id
    rows = query_log.recent_logs(session, tid)
    assert len(rows) == 3
    assert {r.top_label for r in rows} == {"Pompes", ""}
    assert [r.query for r in query_log.recent_logs(session, tid, no_result_only=True)] == [
        seed.no_result_query
    ]
    weak = {r.query for r in query_log.recent_logs(session, tid, max_top_score=0.4)}
    assert weak == {seed.no_result_query, "vanne papillon inox"}
    assert [r.query for r in query_log.recent_logs(session, tid, search="VANNE")] == [
        "vanne papillon inox"
    ]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    assert query_log.recent_logs(session, tid, since=tomorrow) == []
    assert len(query_log.recent_logs(session, tid, until=tomorrow)) == 3
    candidates = query_log.candidate_queries(session, tid)
    assert {c.example for c in candidates} == {seed.no_result_query, "vanne papillon inox"}
    detail = query_log.log_detail(session, tid, rows[-1].request_id)
    assert detail.query == rows[-1].query
    with pytest.raises(NotFoundError):
        query_log.log_detail(session, f"{tid}_x", rows[-1].request_id)


def test_lookups_are_tenant_scoped_and_bounded(session, seed: Seed) -> None:
    tid = seed.tenant_id
    found = lookups.find_concepts(session, tid, "eau")
    assert {c.id for c in found} == {seed.concepts["pompes_eau"], seed.concepts["pompes_eau_bis"]}
    assert [c.id for c in lookups.find_concepts(session, tid, "42123000")] == [
        seed.concepts["compresseurs"]
    ]
    assert lookups.find_concepts(session, tid, "eau", statuses=["validated"]) == []
    excluded = lookups.find_concepts(session, tid, "eau", exclude=[seed.concepts["pompes_eau"]])
    assert [c.id for c in excluded] == [seed.concepts["pompes_eau_bis"]]
    assert [c.text.split(" · ")[0] for c in lookups.find_companies(session, tid, "8028")] == [
        "EKIALIS"
    ]
    assert lookups.find_concepts(session, f"{tid}_x", "eau") == []


def test_notebook_summary_reads_tagged_cells_under_runs_only(settings, tmp_path) -> None:
    import nbformat

    folder = settings.runs_dir / "tenant_nb_test"
    folder.mkdir(parents=True, exist_ok=True)
    figure = {"data": [{"type": "bar", "x": [1], "y": [2]}], "layout": {}}
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("setup", outputs=[nbformat.v4.new_output("stream", text="no")]),
        nbformat.v4.new_code_cell(
            "result",
            metadata={"tags": ["build"]},
            outputs=[
                nbformat.v4.new_output("display_data", data={"text/html": "<b>ok</b>",
                                                              "text/plain": "ok"}),
                nbformat.v4.new_output("display_data",
                                       data={"application/vnd.plotly.v1+json": figure}),
            ],
        ),
        nbformat.v4.new_markdown_cell("## Summary / Résumé"),
        nbformat.v4.new_code_cell(
            "result.summary()",
            metadata={"tags": ["summary"]},
            outputs=[nbformat.v4.new_output("error", ename="KeyError", evalue="'x'",
                                            traceback=[])],
        ),
    ]  # fmt: skip
    path = folder / "run.ipynb"
    nbformat.write(nb, path)
    blocks = notebook_summary(path)
    assert [(b.kind, b.cell_index) for b in blocks] == [
        ("html", 1), ("plotly", 1), ("markdown", 2), ("error", 3)
    ]  # fmt: skip
    assert blocks[2].content == "## Summary / Résumé"
    assert json.dumps(blocks[1].content) == json.dumps(figure)
    outside = tmp_path / "elsewhere.ipynb"
    nbformat.write(nb, outside)
    with pytest.raises(UserError, match="not under RUNS_DIR"):
        notebook_summary(outside)
    with pytest.raises(NotFoundError, match="run the build again"):
        notebook_summary(folder / "gone.ipynb")
