"""Match explorer, glossary, query log and builds pages: their main interactions work."""

from __future__ import annotations

import json

import pytest
import streamlit as st
from sqlalchemy import func, select

from core.models import QueryMatchLog


def _problems(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


@pytest.fixture(scope="module")
def matched_wb(shared_wb):
    """The shared tenant with every draft validated (so the matcher has a dictionary)."""
    from core import curation
    from core.db import session_scope

    seed = shared_wb.seed
    with session_scope() as s:
        ids = [i.concept_id for i in curation.queue(s, seed.tenant_id)]
        curation.bulk(s, seed.tenant_id, ids, "accept", actor="fixture")
    return shared_wb


def _log_count(tenant_id: str) -> int:
    from core.db import session_scope

    with session_scope() as s:
        return s.scalar(select(func.count()).where(QueryMatchLog.tenant_id == tenant_id))


def test_match_explorer_shortlist_chart_explanation_why_not_and_compare(matched_wb) -> None:
    seed = matched_wb.seed
    before = _log_count(seed.tenant_id)
    at = matched_wb.app("analyst", "match_explorer")
    at.text_input(key="me_query").input("pompe à eau")
    at.button(key="me_go").click().run()
    assert not _problems(at)
    result = at.session_state["me_result"]["result"]
    assert result.shortlist[0].concept_id == seed.concepts["pompes_eau"]
    assert _log_count(seed.tenant_id) == before + 1  # logged, source workbench
    shortlist = at.dataframe[0].value
    assert shortlist.iloc[0]["Libellé"] == "Pompes à eau"
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    parts = {trace["name"] for trace in figure["data"]}
    assert parts == {"lexical", "vector", "fusion", "filters", "rerank"}
    explanation = result.shortlist[0].explanation
    assert any(explanation.sentence_fr in m.value for m in at.markdown)

    # Why not "Compresseurs"?
    at.text_input(key="me_why_search").input("Compresseurs").run()
    at.button(key="me_why_go").click().run()
    assert not _problems(at)
    assert any(m.value.startswith("**") and "—" in m.value for m in at.markdown)

    # Compare weighted vs RRF on the same query: two result sets and a rank table.
    at.button(key="me_compare_go").click().run()
    assert not _problems(at)
    a, b = at.session_state["me_compare"]
    assert {i.concept_id for i in a.shortlist} & {i.concept_id for i in b.shortlist}
    assert any("Δ" in df.value.columns for df in at.dataframe)

    # English explanations when the UI is English.
    at.session_state["ml_lang"] = "en"
    at.run()
    assert any(explanation.sentence_en in m.value for m in at.markdown)


def test_match_explorer_reports_bad_input_in_one_line(matched_wb) -> None:
    at = matched_wb.app("curator", "match_explorer")
    at.text_input(key="me_query").input("   ")
    at.button(key="me_go").click().run()
    assert not at.exception
    assert at.error
    assert "Traceback" not in at.error[0].value


def test_glossary_search_open_breadcrumbs_quality_and_stale(shared_wb) -> None:
    from core.db import session_scope
    from core.models import Concept

    seed = shared_wb.seed
    with session_scope() as s:
        s.get(Concept, seed.concepts["compresseurs"]).is_stale = True
    st.cache_data.clear()  # a build elsewhere changed it; pages would see it after the ttl
    at = shared_wb.app("analyst", "glossary")
    assert not _problems(at)
    roots = at.dataframe[0].value
    assert set(roots["Code"]) == {"42000000", "50000000"}
    at.text_input(key="gl_search").input("pompes à").run()
    found = at.dataframe[0].value
    assert list(found["Code"]) == ["42122130"]
    at.selectbox(key="gl_found").select(seed.nodes["42122130"]).run()
    assert not _problems(at)
    assert at.subheader[0].value == "42122130 — Pompes à eau"
    crumbs = [b.label for b in at.button if b.key and b.key.startswith("gl_crumb_")]
    assert crumbs == ["42000000", "42100000", "42120000", "42122000", "42122130"]
    at.button(key=f"gl_crumb_{seed.nodes['42120000']}").click().run()
    assert at.subheader[0].value == "42120000 — Pompes et compresseurs"
    children = next(
        df.value for df in at.dataframe if "children" in df.value.columns and len(df.value) == 2
    )
    assert set(children["Code"]) == {"42122000", "42123000"}
    at.button(key="gl_home").click().run()
    assert not at.subheader
    text = " ".join(m.value for m in at.markdown)
    assert "Rapport du build" in text
    assert any("missing_label" in str(df.value.to_dict()) for df in at.dataframe)
    stale = [df.value for df in at.dataframe if "#" in df.value.columns]
    assert any(seed.concepts["compresseurs"] in set(df["#"]) for df in stale)


def test_query_log_filters_detail_and_candidates(shared_wb) -> None:
    seed = shared_wb.seed
    at = shared_wb.app("analyst", "query_log")
    assert not _problems(at)
    logs = at.dataframe[0].value
    assert len(logs) >= 3
    at.checkbox(key="ql_no_result").check().run()
    assert list(at.dataframe[0].value["Requête"]) == [seed.no_result_query]
    at.checkbox(key="ql_no_result").uncheck()
    at.checkbox(key="ql_low").check().run()
    low = set(at.dataframe[0].value["Requête"])
    assert low == {seed.no_result_query, "vanne papillon inox"}
    candidates = at.dataframe[-1].value
    assert seed.no_result_query in set(candidates["Formulation"])
    request_id = _request_id(seed.tenant_id, "vanne papillon inox")
    at.selectbox(key="ql_open").select(request_id).run()
    assert not _problems(at)
    assert at.subheader[0].value == "« vanne papillon inox »"
    detail = next(df.value for df in at.dataframe if "concept" in df.value.columns)
    assert list(detail["concept"]) == [seed.concepts["pompes"]]
    assert list(detail["Libellé"]) == ["Pompes"]


def _request_id(tenant_id: str, text: str) -> str:
    from core.db import session_scope

    with session_scope() as s:
        return str(
            s.scalar(
                select(QueryMatchLog.request_id).where(
                    QueryMatchLog.tenant_id == tenant_id, QueryMatchLog.raw_text == text
                )
            )
        )


def test_builds_page_history_summary_and_admin_only_launch(shared_wb, settings) -> None:
    import nbformat

    from core.db import session_scope
    from core.models import BuildRun
    from core.users import Identity, PermissionDeniedError
    from workbench import services

    seed = shared_wb.seed
    folder = settings.runs_dir / seed.tenant_id
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "result.summary()",
            metadata={"tags": ["summary"]},
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="created=42 nodes\n")],
        ),
    ]
    path = folder / "20240101T000000Z-dico.ipynb"
    nbformat.write(nb, path)
    with session_scope() as s:
        run = BuildRun(
            tenant_id=seed.tenant_id, step="dico", status="ok", parameters={"dry_run": False},
            counts={"created": 42}, report={"warnings": ["one warning"]}, duration_s=3.2,
            notebook_path=str(path),
        )  # fmt: skip
        s.add(run)
        s.flush()
        run_id = run.run_id

    curator = shared_wb.app("curator", "builds")
    assert not _problems(curator)
    history = curator.dataframe[0].value
    assert {"glossary", "dico"} <= set(history["Étape"])
    assert "bd_launch_go" not in [b.key for b in curator.button]
    assert any("réservé aux admins" in i.value for i in curator.info)
    curator.selectbox(key="bd_open").select(run_id).run()
    assert not _problems(curator)
    assert any("created=42 nodes" in c.value for c in curator.code)
    with pytest.raises(PermissionDeniedError):
        services.launch_build(
            Identity("c", "curator", (seed.tenant_id,)), seed.tenant_id, "glossary", {}
        )

    admin = shared_wb.app("admin", "builds")
    assert "bd_launch_go" in [b.key for b in admin.button]
    assert admin.selectbox(key="bd_step").options[:2] == ["glossary", "dico"]
    admin.selectbox(key="bd_step").select("index").run()
    assert any(k.startswith("bd_param_index_") for k in (n.key for n in admin.number_input))


def test_admin_launches_a_build_from_the_page(fresh_wb) -> None:
    from core.db import session_scope
    from core.models import BuildRun

    seed = fresh_wb.seed
    at = fresh_wb.app("admin", "builds")
    at.selectbox(key="bd_step").select("glossary").run()
    at.checkbox(key="bd_param_glossary_dry_run").check()
    at.button(key="bd_launch_go").click().run(timeout=300)
    assert not _problems(at)
    assert any("terminé" in s.value for s in at.success)
    with session_scope() as s:
        runs = list(s.scalars(select(BuildRun).where(BuildRun.tenant_id == seed.tenant_id)))
    launched = [r for r in runs if r.parameters.get("dry_run") is True]
    assert len(launched) == 1
    assert launched[0].status == "ok"
    assert launched[0].notebook_path
