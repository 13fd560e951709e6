"""Tenant ids: validation at every entry point and the one helper that scopes queries."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from sqlalchemy import Select, select

from core.errors import NotFoundError, UserError

TENANT_ID_PATTERN = r"^tenant_[a-zA-Z0-9_]+$"
_TENANT_RE = re.compile(TENANT_ID_PATTERN)
DEMO_TENANT = "tenant_demo"

T = TypeVar("T")


class InvalidTenantError(UserError):
    """A tenant id that does not match ``^tenant_[a-zA-Z0-9_]+$``."""


class UnknownTenantError(NotFoundError):
    """A well-formed tenant id with no Tenant row."""


def validate_tenant_id(tenant_id: object) -> str:
    """Return ``tenant_id`` unchanged if it is well-formed, else raise a clear error.

    >>> validate_tenant_id("tenant_demo")
    'tenant_demo'
    >>> validate_tenant_id("demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.tenancy.InvalidTenantError: invalid tenant id 'demo': it must match ...
    """
    if not isinstance(tenant_id, str) or len(tenant_id) > 64 or not _TENANT_RE.match(tenant_id):
        raise InvalidTenantError(
            f"invalid tenant id {tenant_id!r}: it must match {TENANT_ID_PATTERN} "
            "(e.g. tenant_demo)"
        )
    return tenant_id


def scoped(model: type[T], tenant_id: str, *extra: Any) -> Select[tuple[T]]:
    """``select(model)`` restricted to one tenant: the only way ``core`` reads tenant rows.

    Args:
        model: a mapped class with a ``tenant_id`` column.
        tenant_id: validated here, so callers cannot forget.
        extra: further ``where`` criteria.
    """
    tenant = validate_tenant_id(tenant_id)
    stmt = select(model).where(model.tenant_id == tenant)  # type: ignore[attr-defined]
    if extra:
        stmt = stmt.where(*extra)
    return stmt


def require_tenant(session: Any, tenant_id: str) -> str:
    """Validate ``tenant_id`` and check that the tenant exists (``UnknownTenantError`` if not)."""
    from core.models import Tenant

    tenant = validate_tenant_id(tenant_id)
    if session.get(Tenant, tenant) is None:
        raise UnknownTenantError(
            f"unknown tenant {tenant!r}: create it first (marketlounge tenant create {tenant})"
        )
    return tenant


def ensure_tenant(session: Any, tenant_id: str, *, name: str | None = None) -> str:
    """Create the tenant row if it is missing; return the validated id."""
    from core.models import Tenant

    tenant = validate_tenant_id(tenant_id)
    if session.get(Tenant, tenant) is None:
        session.add(Tenant(tenant_id=tenant, name=name or tenant.removeprefix("tenant_")))
        session.flush()
    return tenant
