"""Run build notebooks with papermill and keep the history in ``BuildRun`` rows.

Everything a user can get wrong (tenant, step, parameter names, types, missing files) is
checked before a kernel starts. Each step then runs its notebook; the notebook's build cell
does all its writes in one transaction, so a failing cell leaves the database as it was
before the step. The executed copy lands in ``RUNS_DIR/<tenant>/<timestamp>-<step>.ipynb``
and the counts it published are stored with the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from core.builds.kernel import KERNEL_NAME, kernel_env, kernel_manager
from core.builds.params import NOTEBOOKS, check_parameters, steps_for
from core.builds.results import RESULT_MIME
from core.config import PROJECT_ROOT, Settings, get_settings
from core.errors import UserError
from core.models import BuildRun
from core.tenancy import validate_tenant_id

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
_LOCK_NAMESPACE = 0x4D4C4244  # "MLBD": advisory locks of builds, one per tenant


class BuildLockedError(UserError):
    """Another build of the same tenant is running."""


@dataclass(frozen=True)
class PlannedStep:
    """A step with its checked, complete parameters (what papermill will inject)."""

    step: str
    parameters: dict[str, Any]

    @property
    def notebook(self) -> Path:
        """The committed notebook of this step."""
        return NOTEBOOKS_DIR / NOTEBOOKS[self.step]


def plan_build(
    step: str, tenant_id: str, parameters: Mapping[str, Any] | None = None
) -> list[PlannedStep]:
    """Check a build request without touching the database; return the steps to run.

    Raises:
        UserError: bad tenant id, unknown step, unknown parameter, bad value, missing file.
    """
    validate_tenant_id(tenant_id)
    steps = steps_for(step)
    checked = check_parameters(steps, dict(parameters or {}))
    missing = [NOTEBOOKS[s] for s in steps if not (NOTEBOOKS_DIR / NOTEBOOKS[s]).is_file()]
    if missing:
        raise UserError(
            f"notebook(s) missing in {NOTEBOOKS_DIR}: {', '.join(missing)} "
            "(run: .venv/bin/python scripts/make_notebooks.py)"
        )
    return [PlannedStep(s, checked[s]) for s in steps]


def prepare_tenant(tenant_id: str, settings: Settings | None = None) -> None:
    """Upgrade the schema and check the tenant (``tenant_demo`` is created on first use)."""
    from core.builds.common import build_tenant
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head

    upgrade_to_head(settings)
    with session_scope(settings) as session:
        build_tenant(session, tenant_id)


def run_build(
    step: str,
    tenant_id: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    progress: bool = False,
    on_step: Callable[[BuildRun], None] | None = None,
) -> BuildRun:
    """Run one step, or ``all`` in order; return the last run (the failed one if any).

    Args:
        step: ``glossary``, ``dico``, ``activations``, ``index``, ``evaluate`` or ``all``.
        tenant_id: whose data.
        parameters: notebook parameters by name (given to every step that declares them).
        settings: database and folders (default: the process settings).
        progress: draw papermill's cell progress bar.
        on_step: called with each finished ``BuildRun`` (the CLI prints a line).

    Raises:
        UserError: a bad request, before anything runs; ``BuildLockedError`` when another
            build of this tenant is running.
    """
    return run_builds(
        step, tenant_id, parameters, settings=settings, progress=progress, on_step=on_step
    )[-1]


def run_builds(
    step: str,
    tenant_id: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    progress: bool = False,
    on_step: Callable[[BuildRun], None] | None = None,
) -> list[BuildRun]:
    """Like :func:`run_build` but return every run of the chain."""
    plan = plan_build(step, tenant_id, parameters)
    return run_plan(plan, tenant_id, settings=settings, progress=progress, on_step=on_step)


def run_plan(
    plan: list[PlannedStep],
    tenant_id: str,
    *,
    settings: Settings | None = None,
    progress: bool = False,
    on_step: Callable[[BuildRun], None] | None = None,
) -> list[BuildRun]:
    """Execute planned steps in order, stopping at the first failure."""
    settings = settings or get_settings()
    prepare_tenant(tenant_id, settings)
    runs: list[BuildRun] = []
    with tenant_lock(tenant_id, settings), _quiet_jupyter():
        for planned in plan:
            run = _run_step(planned, tenant_id, settings, progress=progress)
            runs.append(run)
            if on_step is not None:
                on_step(run)
            if run.status != "ok":
                break
    return runs


@contextmanager
def tenant_lock(tenant_id: str, settings: Settings) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock so two builds of one tenant never interleave."""
    from core.db import get_engine

    with get_engine(settings).connect() as connection:
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:ns, hashtext(:tenant))"),
            {"ns": _LOCK_NAMESPACE, "tenant": tenant_id},
        ).scalar()
        connection.commit()
        if not got:
            raise BuildLockedError(
                f"another build of {tenant_id} is running; wait for it "
                f"(marketlounge runs --tenant {tenant_id})"
            )
        try:
            yield
        finally:
            connection.execute(
                text("SELECT pg_advisory_unlock(:ns, hashtext(:tenant))"),
                {"ns": _LOCK_NAMESPACE, "tenant": tenant_id},
            )
            connection.commit()


@contextmanager
def _quiet_jupyter() -> Iterator[None]:
    """Silence jupyter's chatter during runs.

    Papermill's warnings are restored afterwards; traitlets' "Could not destroy zmq context"
    comes when kernel clients are garbage-collected, up to interpreter exit, so it stays off.
    """
    import logging

    logging.getLogger("traitlets").setLevel(logging.ERROR)
    papermill_logger = logging.getLogger("papermill")
    level = papermill_logger.level
    papermill_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        papermill_logger.setLevel(level)


def _output_path(settings: Settings, tenant_id: str, step: str, run_id: int) -> Path:
    folder = settings.runs_dir / tenant_id
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{step}.ipynb"
    return path if not path.exists() else folder / f"{stamp}-{step}-run{run_id}.ipynb"


def _run_step(
    planned: PlannedStep, tenant_id: str, settings: Settings, *, progress: bool
) -> BuildRun:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from core.db import session_scope

    with session_scope(settings) as session:
        run = BuildRun(
            tenant_id=tenant_id, step=planned.step, parameters=planned.parameters,
            status="running", counts={}, report={},
        )  # fmt: skip
        session.add(run)
        session.flush()
        run_id = run.run_id
    output = _output_path(settings, tenant_id, planned.step, run_id)
    started = datetime.now(UTC)
    status, error = "ok", None
    manager: Any = kernel_manager(kernel_env(settings))
    try:
        papermill.execute_notebook(
            str(planned.notebook),
            str(output),
            parameters={"tenant_id": tenant_id, **planned.parameters},
            kernel_name=KERNEL_NAME,
            km=manager,
            cwd=str(PROJECT_ROOT),
            progress_bar=progress,
            log_output=False,
            start_timeout=180,
        )
    except PapermillExecutionError as exc:
        status, error = "failed", describe_failure(exc)
    except Exception as exc:  # a dead kernel, a broken notebook: record it, do not crash
        status, error = "failed", f"{type(exc).__name__}: {_one_line(str(exc))}"
    finally:
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    report = read_result(output) if output.exists() else None
    if status == "ok" and report is None:
        status, error = "failed", "the notebook ran but published no build result"
    with session_scope(settings) as session:
        row = session.get(BuildRun, run_id)
        assert row is not None
        row.status = status
        row.error = error
        row.notebook_path = str(output) if output.exists() else None
        row.counts = (report or {}).get("counts", {})
        row.report = report or {}
        row.finished_at = datetime.now(UTC)
        row.duration_s = round((row.finished_at - started).total_seconds(), 3)
        session.flush()
        session.expunge(row)
    return row


def describe_failure(exc: Any) -> str:
    """``cell N (`the failing line`): Name: message`` from a ``PapermillExecutionError``.

    The line is the one of the cell the traceback points at (``---->``), else the cell's
    first code line.
    """
    line = _failing_line(exc.traceback or []) or next(
        (ln for ln in str(exc.source or "").splitlines() if ln.strip()), ""
    )
    line = line.split("  #", 1)[0].strip()
    if len(line) > 70:
        line = line[:69] + "…"
    return f"cell {exc.cell_index} (`{line}`) raised {exc.ename}: {_one_line(str(exc.evalue))}"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _failing_line(traceback: list[str]) -> str | None:
    """The cell's own line in an IPython traceback (the first ``---->`` arrow).

    >>> _failing_line(["Error", "Cell In[4], line 2\\n      1 x = 1\\n----> 2 f(x)\\n"])
    'f(x)'
    """
    for entry in traceback:
        for raw in _ANSI.sub("", entry).splitlines():
            match = re.match(r"^-+>\s*\d+\s+(.*)$", raw)
            if match:
                return match.group(1).strip()
    return None


def _one_line(message: str) -> str:
    """Collapse a multi-line message (``ValidationProblems``) into one line.

    >>> _one_line("f.csv: 2 problems:\\n  - row 3: x\\n  - row 4: y")
    'f.csv: 2 problems: - row 3: x - row 4: y'
    """
    return re.sub(r"\s+", " ", message).strip()


def read_result(notebook_path: Path) -> dict[str, Any] | None:
    """The build report a notebook published (:data:`RESULT_MIME`), if it got that far."""
    try:
        data = json.loads(notebook_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found: dict[str, Any] | None = None
    for cell in data.get("cells", []):
        for output in cell.get("outputs", []) or []:
            payload = (output.get("data") or {}).get(RESULT_MIME)
            if isinstance(payload, dict):
                found = payload
            elif isinstance(payload, str):
                found = json.loads(payload)
    return found
