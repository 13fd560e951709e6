"""The papermill runner: ``build all`` on a slice of the sample, history, rollback, re-runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.builds.history import list_runs
from core.builds.runner import plan_build, run_builds, run_plan
from core.db import session_scope
from core.models import BuildRun, Concept, GlossaryNode
from tests.conftest import new_tenant_id
from tests.core.builds.conftest import import_contracts

CHANGE_KEYS = ("created", "updated", "removed", "stale_marked", "rebuilt", "embedded")


def _count(model, tenant_id: str) -> int:
    with session_scope() as session:
        return session.scalar(
            select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
        )


@pytest.fixture(scope="module")
def built_all(engine: object, mini_sample: dict[str, Path]) -> tuple[str, list[BuildRun]]:
    """One ``build all`` through papermill on the slice (contracts imported first)."""
    from core.tenancy import ensure_tenant

    tenant = new_tenant_id("build")
    with session_scope() as session:
        ensure_tenant(session, tenant)
    import_contracts(tenant, mini_sample["decp"])  # demands carry their CPV code as text
    return tenant, run_builds(
        "all",
        tenant,
        {
            "taxonomy_path": str(mini_sample["cpv"]),
            "eval_path": str(mini_sample["eval"]),
            "duplicate_threshold": 0.95,
        },
    )


def test_build_all_runs_every_notebook_and_records_history(built_all, settings) -> None:
    tenant, runs = built_all
    assert [r.step for r in runs] == ["glossary", "dico", "activations", "index", "evaluate"]
    assert [r.status for r in runs] == ["ok"] * 5, [r.error for r in runs]
    assert runs[0].counts["created"] == 71
    dico, activations, index, evaluate = runs[1:]
    assert dico.counts["created"] == 71  # CPV is official: auto-validated by default
    assert dico.counts["examples_created"] > 0
    assert activations.counts["created"] > 0
    assert index.counts["vectors"] == 71
    assert index.counts["recall"] == 1.0  # a flat index is exact
    assert dico.counts["examples_held_out"] > 0  # kept out of the examples for evaluate
    assert evaluate.counts["queries"] == dico.counts["examples_held_out"]
    assert evaluate.counts["excluded"] == dico.counts["examples_created"]
    assert 0 <= evaluate.report["details"]["metrics"]["methods"]["weighted"]["recall@10"] <= 1
    with session_scope() as session:
        history = list_runs(session, tenant)
    assert [r.run_id for r in history] == sorted((r.run_id for r in runs), reverse=True)
    for run in runs:
        path = Path(run.notebook_path)
        assert path.parent == settings.runs_dir / tenant
        assert path.name.endswith(f"-{run.step}.ipynb")
        executed = json.loads(path.read_text(encoding="utf-8"))
        assert executed["metadata"]["papermill"]["parameters"]["tenant_id"] == tenant
        errors = [o for c in executed["cells"] for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]  # fmt: skip
        assert not errors
        assert run.duration_s > 0
        assert run.parameters == plan_build(run.step, tenant, _given(run))[0].parameters
    glossary_nb = Path(runs[0].notebook_path).read_text(encoding="utf-8")
    assert "application/vnd.plotly.v1+json" in glossary_nb  # the tree figure was drawn


def _given(run: BuildRun) -> dict:
    return {k: v for k, v in run.parameters.items() if v is not None}


def test_rerun_with_unchanged_inputs_changes_nothing(built_all, mini_sample) -> None:
    tenant, _ = built_all
    concepts_before = _count(Concept, tenant)
    plan = plan_build(
        "all", tenant, {"taxonomy_path": str(mini_sample["cpv"]), "duplicate_threshold": 0.95}
    )
    reruns = run_plan([p for p in plan if p.step in ("glossary", "dico")], tenant)
    assert [r.status for r in reruns] == ["ok"] * 2
    for run in reruns:
        changed = {k: v for k, v in run.counts.items() if k in CHANGE_KEYS and v}
        changed |= {k: v for k, v in run.counts.items() if k.endswith("_created") and v}
        assert not changed, (run.step, run.counts)
    assert _count(Concept, tenant) == concepts_before


def test_a_failing_step_rolls_back_and_names_the_cell(tenant_id, mini_sample, tmp_path) -> None:
    bad_taxonomy = tmp_path / "cpv_broken.csv"
    bad_taxonomy.write_text(
        "code,parent_code,level,label_fr,label_en\n"
        "50000000,,1,Services,Services\n"
        "50100000,77777777,2,Réparation,Repair\n",
        encoding="utf-8",
    )
    failed = run_builds("glossary", tenant_id, {"taxonomy_path": str(bad_taxonomy)})[-1]
    assert failed.status == "failed"
    assert failed.error.startswith("cell ")
    assert "result = build_glossary(" in failed.error  # the failing line of the build cell
    assert "ValidationProblems" in failed.error
    assert "77777777" in failed.error
    assert Path(failed.notebook_path).is_file()  # the executed notebook shows the traceback
    assert _count(GlossaryNode, tenant_id) == 0

    # a failure after writes inside the build cell: concepts are upserted, then the labelled
    # file is refused; the whole step rolls back
    assert (
        run_builds("glossary", tenant_id, {"taxonomy_path": str(mini_sample["cpv"])})[-1].status
        == "ok"
    )
    no_text = tmp_path / "labelled.csv"
    no_text.write_text("objet,expected_code\nPompes,50000000\n", encoding="utf-8")
    chain = run_builds(
        "all", tenant_id, {"taxonomy_path": str(mini_sample["cpv"]), "examples_path": str(no_text)}
    )
    assert [(r.step, r.status) for r in chain] == [("glossary", "ok"), ("dico", "failed")]
    assert _count(GlossaryNode, tenant_id) == 71  # the glossary step before it committed
    assert "missing column 'text'" in chain[-1].error
    assert _count(Concept, tenant_id) == 0
    with session_scope() as session:
        stored = session.get(BuildRun, chain[-1].run_id)
        assert stored.status == "failed"
        assert stored.error == chain[-1].error
