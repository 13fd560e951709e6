"""Small read-only summaries of what the database holds (CLI ``status``, demo output)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import TENANT_OWNED_MODELS, Tenant
from core.tenancy import validate_tenant_id


def tenant_counts(session: Session, tenant_id: str | None = None) -> dict[str, dict[str, int]]:
    """Row counts per tenant and tenant-owned table (``{tenant: {table: n}}``)."""
    tenants = (
        [validate_tenant_id(tenant_id)]
        if tenant_id
        else list(session.scalars(select(Tenant.tenant_id).order_by(Tenant.tenant_id)))
    )
    result: dict[str, dict[str, int]] = {t: {} for t in tenants}
    for model in TENANT_OWNED_MODELS:
        column = model.tenant_id  # type: ignore[attr-defined]
        rows = session.execute(
            select(column, func.count()).where(column.in_(tenants)).group_by(column)
        )
        for tenant, count in rows:
            result[tenant][model.__tablename__] = count
    return result
