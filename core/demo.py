"""The main job (``make run`` = ``marketlounge demo``): one ordered list of steps, idempotent.

How to add a step (builds, API, workbench…): write a function ``_step_<name>(ctx) -> dict``
that does its work in its own ``session_scope()`` (or calls a ``core`` function that does),
returns a small JSON-able summary (counts, durations), and append
``DemoStep("<name>", "<what it does, one line>", _step_<name>)`` to :data:`STEPS` in the
order it must run. Keep every step idempotent: running the demo twice must change nothing
the second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import PROJECT_ROOT
from core.tenancy import DEMO_TENANT, validate_tenant_id

SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
Echo = Callable[[str], Any]


@dataclass
class DemoContext:
    """What every step receives: the tenant, the sample folder, a printer and past results."""

    tenant_id: str
    sample_dir: Path
    echo: Echo
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoStep:
    """One step of the main job: a name, a one-line description and the function to run."""

    name: str
    description: str
    run: Callable[[DemoContext], dict[str, Any]]


def _step_schema(ctx: DemoContext) -> dict[str, Any]:
    from core.db.migrate import upgrade_to_head

    return {"revision": upgrade_to_head()}


def _import_step(
    kind: str, filename: str, **options: Any
) -> Callable[[DemoContext], dict[str, Any]]:
    """A step importing one sample file with the matching importer."""

    def step(ctx: DemoContext) -> dict[str, Any]:
        from core.db import session_scope

        path = ctx.sample_dir / filename
        with session_scope() as session:
            if kind == "taxonomy":
                from core.imports.taxonomy import import_taxonomy

                report = import_taxonomy(session, ctx.tenant_id, path, **options)
            elif kind == "companies":
                from core.imports.companies import import_companies

                report = import_companies(session, ctx.tenant_id, path)
            else:
                from core.imports.market import import_market

                report = import_market(session, ctx.tenant_id, path)
        ctx.echo(f"  {filename}: {report.summary()}")
        return report.as_dict()

    return step


def demo_counts(tenant_id: str) -> dict[str, int]:
    """Rows per tenant-owned table for one tenant (what the demo prints at the end)."""
    from core.db import session_scope
    from core.reporting import tenant_counts

    with session_scope() as session:
        return tenant_counts(session, tenant_id).get(tenant_id, {})


def _step_workbench_users(ctx: DemoContext) -> dict[str, Any]:
    """Demo logins for ``marketlounge serve workbench`` (documented; change them if shared)."""
    from core.db import session_scope
    from core.users import ensure_demo_users

    with session_scope() as session:
        logins = ensure_demo_users(session, ctx.tenant_id)
    for username, password, role in logins:
        ctx.echo(f"  workbench login: {username} / {password} ({role})")
    return {"users": [username for username, _, _ in logins]}


STEPS: list[DemoStep] = [
    DemoStep("schema", "upgrade the database schema (marketlounge init)", _step_schema),
    DemoStep(
        "taxonomy_cpv",
        "import the CPV sample (divisions 42 and 50) into the glossary",
        _import_step("taxonomy", "cpv_sample.csv", taxonomy="cpv"),
    ),
    DemoStep(
        "taxonomy_naf",
        "import the NAF sample (divisions 28 and 33) into the glossary",
        _import_step("taxonomy", "naf_sample.csv", taxonomy="naf"),
    ),
    DemoStep(
        "companies",
        "import the winning suppliers as company profiles",
        _import_step("companies", "companies_sample.csv"),
    ),
    DemoStep(
        "market",
        "import the DECP contracts as demands, linked to their suppliers",
        _import_step("market", "decp_sample.csv"),
    ),
    DemoStep(
        "workbench_users",
        "create the demo workbench logins (curator, analyst, admin)",
        _step_workbench_users,
    ),
]
"""The main job, in order. Append new steps here (see the module docstring)."""


def run_demo(
    *,
    tenant_id: str = DEMO_TENANT,
    echo: Echo = print,
    sample_dir: Path | None = None,
    steps: list[DemoStep] | None = None,
) -> dict[str, Any]:
    """Run the main job's steps in order and return what each did.

    Args:
        tenant_id: the tenant to fill (default ``tenant_demo``).
        echo: where progress lines go (``print`` by default; the CLI passes its console).
        sample_dir: the sample folder (default ``data/sample`` of the project).
        steps: the steps to run (default :data:`STEPS`).

    Returns:
        ``{"tenant_id", "steps": {name: summary}, "timings_s": {name: seconds},
        "counts": {table: rows}, "duration_s"}``; the counts are taken after the last step.
    """
    started = time.perf_counter()
    ctx = DemoContext(
        tenant_id=validate_tenant_id(tenant_id),
        sample_dir=Path(sample_dir or SAMPLE_DIR),
        echo=echo,
    )
    chosen = STEPS if steps is None else steps
    timings: dict[str, float] = {}
    for number, step in enumerate(chosen, start=1):
        echo(f"[{number}/{len(chosen)}] {step.description}")
        step_started = time.perf_counter()
        ctx.results[step.name] = step.run(ctx)
        timings[step.name] = round(time.perf_counter() - step_started, 2)
    return {
        "tenant_id": ctx.tenant_id,
        "steps": ctx.results,
        "timings_s": timings,
        "counts": demo_counts(ctx.tenant_id),
        "duration_s": round(time.perf_counter() - started, 2),
    }
