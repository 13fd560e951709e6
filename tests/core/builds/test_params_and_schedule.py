"""Parameters are checked before anything runs; schedules run what is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.builds.params import STEP_PARAMETERS, STEPS, check_parameters, parse_assignment
from core.builds.runner import plan_build
from core.builds.schedule import due_steps, parse_period
from core.builds.scheduler import run_schedule
from core.db import session_scope
from core.errors import NotFoundError, UserError
from core.models import BuildRun, GlossaryNode
from core.tenancy import InvalidTenantError


@pytest.mark.parametrize(
    ("step", "parameters", "error", "message"),
    [
        ("glosary", {}, NotFoundError, "unknown build step 'glosary'"),
        ("glossary", {"taxonomy_path": "nowhere.csv"}, NotFoundError, "file not found"),
        ("dico", {"threshold": 0.5}, UserError, "unknown parameter 'threshold' for dico"),
        ("activations", {"threshold": 3}, UserError, "between 0 and 1"),
        ("dico", {"use_llm": "yes"}, UserError, "expected true or false"),
        ("evaluate", {"limit": 0}, UserError, "positive whole number"),
        ("all", {"tenant_id": "tenant_x"}, UserError, "--tenant"),
    ],
)
def test_bad_requests_are_refused_before_running(step, parameters, error, message) -> None:
    with pytest.raises(error, match=message):
        plan_build(step, "tenant_demo", parameters)


def test_bad_tenant_id_is_refused() -> None:
    with pytest.raises(InvalidTenantError):
        plan_build("all", "demo")


def test_parameters_go_to_the_steps_that_declare_them(mini_sample: dict[str, Path]) -> None:
    plan = plan_build("all", "tenant_demo", {"dry_run": True, "taxonomy_path": str(
        mini_sample["cpv"])})  # fmt: skip
    by_step = {p.step: p.parameters for p in plan}
    assert [p.step for p in plan] == list(STEPS)
    assert by_step["glossary"]["taxonomy_path"] == str(mini_sample["cpv"].resolve())
    assert by_step["dico"]["dry_run"] is True
    assert by_step["activations"]["dry_run"] is True
    assert "dry_run" not in by_step["index"]
    # relative defaults are resolved against the project root
    assert Path(by_step["evaluate"]["eval_path"]).is_absolute()
    for step in STEPS:
        assert set(by_step[step]) == {p.name for p in STEP_PARAMETERS[step]}


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                 st.text(alphabet="abcxyz/._-", min_size=1)))  # fmt: skip
def test_assignments_round_trip_json_literals(value) -> None:
    import json

    key, parsed = parse_assignment(
        f"k={json.dumps(value) if not isinstance(value, str) else value}"
    )
    assert key == "k"
    assert parsed == value  # the text alphabet spells no JSON keyword or number


def test_check_parameters_keeps_defaults() -> None:
    checked = check_parameters(["activations"], {})
    assert checked["activations"] == {"threshold": 0.35, "embedding_model": None,
                                      "dry_run": False}  # fmt: skip


@given(st.dictionaries(st.sampled_from(STEPS), st.integers(min_value=0, max_value=60)))
def test_due_steps_are_in_order_and_cascade(ages: dict[str, int]) -> None:
    schedule = {"glossary": "monthly", "dico": "biweekly", "activations": "weekly",
                "index": "weekly"}  # fmt: skip
    now = datetime(2025, 6, 1, tzinfo=UTC)
    last = {step: now - timedelta(days=days) for step, days in ages.items()}
    due = due_steps(schedule, last, now)
    assert due == [s for s in STEPS if s in due]  # pipeline order
    assert "evaluate" not in due  # not scheduled
    if due:  # everything scheduled after the first due step is due too
        first = STEPS.index(due[0])
        assert due == [s for s in STEPS[first:] if s in schedule]
    for step in schedule:
        never_or_old = step not in last or now - last[step] >= parse_period(schedule[step])
        if never_or_old:
            assert step in due


def _add_run(tenant: str, step: str, days_ago: float, parameters: dict | None = None) -> None:
    finished = datetime.now(UTC) - timedelta(days=days_ago)
    with session_scope() as session:
        session.add(
            BuildRun(tenant_id=tenant, step=step, parameters=parameters or {}, status="ok",
                     counts={}, report={}, started_at=finished, finished_at=finished)
        )  # fmt: skip


def test_schedule_dry_run_then_a_real_run(
    tenant_id: str, settings, mini_sample: dict[str, Path], tmp_path: Path
) -> None:
    for step, days in (("glossary", 40), ("dico", 3), ("activations", 1), ("index", 1)):
        _add_run(tenant_id, step, days, {"taxonomy_path": str(mini_sample["cpv"])}
                 if step == "glossary" else None)  # fmt: skip
    [planned] = run_schedule([tenant_id], dry_run=True)
    assert planned.due == ["glossary", "dico", "activations", "index"]  # glossary cascades
    assert planned.runs == []

    # only the glossary scheduled: it re-runs with its last parameters (the mini file)
    only_glossary = settings.model_copy(update={"build_schedule": {"glossary": "monthly"}})
    [done] = run_schedule([tenant_id], settings=only_glossary)
    assert [r.step for r in done.runs] == ["glossary"]
    assert done.ok, done.runs[0].error
    assert done.runs[0].parameters["taxonomy_path"] == str(mini_sample["cpv"].resolve())
    with session_scope() as session:
        nodes = session.scalar(select(func.count()).select_from(GlossaryNode).where(
            GlossaryNode.tenant_id == tenant_id))  # fmt: skip
    assert nodes == 71
    [again] = run_schedule([tenant_id], settings=only_glossary, dry_run=True)
    assert again.due == []  # it just succeeded

    # a vanished input file is reported for that tenant, nothing runs
    gone = tmp_path / "gone.csv"
    _add_run(tenant_id, "glossary", 60, {"taxonomy_path": str(gone)})
    with session_scope() as session:  # make the vanished-file run the latest success
        session.execute(
            BuildRun.__table__.update()
            .where(BuildRun.tenant_id == tenant_id)
            .values(finished_at=datetime.now(UTC) - timedelta(days=60))
        )
    [failed] = run_schedule([tenant_id], settings=only_glossary)
    assert failed.error is not None
    assert "file not found" in failed.error
    assert failed.runs == []
