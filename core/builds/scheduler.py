"""``marketlounge schedule``: run the builds that are due, for one tenant or all of them.

What a cron entry or the docker-compose ``scheduler`` service calls. A due step re-runs with
the parameters of its last successful run (so a tenant built from the full CPV keeps
building from it); a step that never ran uses the defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core.builds.history import last_parameters, last_successes
from core.builds.params import check_parameters, defaults
from core.builds.runner import PlannedStep, run_plan
from core.builds.schedule import due_steps
from core.config import Settings, get_settings
from core.errors import UserError
from core.models import BuildRun, Tenant
from core.tenancy import require_tenant


@dataclass
class TenantSchedule:
    """What the scheduler found and did for one tenant."""

    tenant_id: str
    due: list[str]
    runs: list[BuildRun] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """No error and every run succeeded."""
        return self.error is None and all(run.status == "ok" for run in self.runs)


def run_schedule(
    tenant_ids: list[str] | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    settings: Settings | None = None,
    on_step: Callable[[BuildRun], None] | None = None,
) -> list[TenantSchedule]:
    """Find due steps per tenant (``settings.build_schedule``) and run them unless ``dry_run``.

    Args:
        tenant_ids: the tenants to look at; None means every tenant.
        dry_run: only report what is due.
        now: the reference time (tests pass one); default: now, UTC.
        settings: database and schedule (default: the process settings).
        on_step: called with each finished run.
    """
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head

    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    upgrade_to_head(settings)
    plans: list[tuple[TenantSchedule, dict[str, dict[str, Any]]]] = []
    with session_scope(settings) as session:
        if tenant_ids is None:
            tenant_ids = list(session.scalars(select(Tenant.tenant_id).order_by(Tenant.tenant_id)))
        for tenant_id in tenant_ids:
            require_tenant(session, tenant_id)
            due = due_steps(settings.build_schedule, last_successes(session, tenant_id), now)
            previous = {step: last_parameters(session, tenant_id, step) or {} for step in due}
            plans.append((TenantSchedule(tenant_id, due), previous))
    results: list[TenantSchedule] = []
    for item, previous in plans:
        results.append(item)
        if dry_run or not item.due:
            continue
        try:
            plan = [
                PlannedStep(step, check_parameters([step], _known(step, previous[step]))[step])
                for step in item.due
            ]
            item.runs = run_plan(plan, item.tenant_id, settings=settings, on_step=on_step)
        except UserError as exc:  # one tenant's problem must not stop the others
            item.error = str(exc)
    return results


def _known(step: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Keep only the parameters the step still declares."""
    names = defaults(step)
    return {key: value for key, value in parameters.items() if key in names}
