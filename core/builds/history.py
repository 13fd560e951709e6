"""The run history: what was built, when, with which parameters and what came out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.builds.params import STEPS, steps_for
from core.models import BuildRun
from core.tenancy import require_tenant, scoped


def list_runs(
    session: Session, tenant_id: str, *, step: str | None = None, limit: int = 50
) -> list[BuildRun]:
    """The tenant's build runs, newest first.

    Raises:
        UnknownTenantError: no such tenant.
        NotFoundError: unknown step name.
    """
    require_tenant(session, tenant_id)
    criteria = [BuildRun.step == steps_for(step)[0]] if step else []
    stmt = scoped(BuildRun, tenant_id, *criteria).order_by(BuildRun.run_id.desc()).limit(limit)
    return list(session.scalars(stmt))


def runs_table(runs: list[BuildRun]) -> pd.DataFrame:
    """A compact table of runs (for the CLI, the notebooks and the workbench)."""
    return pd.DataFrame(
        [
            {"run_id": r.run_id, "step": r.step, "status": r.status,
             "started_at": r.started_at, "duration_s": r.duration_s,
             "counts": format_counts(r.counts or {}), "notebook": r.notebook_path,
             "error": r.error}
            for r in runs
        ],
        columns=["run_id", "step", "status", "started_at", "duration_s", "counts", "notebook",
                 "error"],
    )  # fmt: skip


def format_counts(counts: dict[str, Any], *, skip_zero: bool = True) -> str:
    """``created=3 updated=1`` (zeros left out unless everything is zero).

    >>> format_counts({"created": 3, "updated": 0, "recall": 0.98765})
    'created=3 recall=0.988'
    >>> format_counts({"created": 0})
    'created=0'
    """
    shown = {k: v for k, v in counts.items() if v or not skip_zero} or counts
    return " ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items()
    )


def last_successes(session: Session, tenant_id: str) -> dict[str, datetime | None]:
    """End time of each step's last successful run (None: never succeeded)."""
    rows = (
        session.execute(
            select(BuildRun.step, func.max(BuildRun.finished_at))
            .where(BuildRun.tenant_id == tenant_id, BuildRun.status == "ok")
            .group_by(BuildRun.step)
        )
        .tuples()
        .all()
    )
    found: dict[str, datetime | None] = dict(rows)
    return {step: found.get(step) for step in STEPS}


def last_parameters(session: Session, tenant_id: str, step: str) -> dict[str, Any] | None:
    """Parameters of the step's last successful run (a schedule re-runs with them)."""
    run = session.scalars(
        scoped(BuildRun, tenant_id, BuildRun.step == step, BuildRun.status == "ok")
        .order_by(BuildRun.run_id.desc())
        .limit(1)
    ).first()
    return dict(run.parameters) if run is not None else None
