"""Small helpers every build step shares: tenant checks, dry runs, timing."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from core.tenancy import DEMO_TENANT, ensure_tenant, require_tenant


def build_tenant(session: Session, tenant_id: str) -> str:
    """Validate the tenant; the demo tenant is created on first use, others must exist.

    ``tenant_demo`` is what a fresh clone builds (``marketlounge build all --tenant
    tenant_demo``); any other tenant is a customer's and must be created on purpose.
    """
    if tenant_id == DEMO_TENANT:
        return ensure_tenant(session, tenant_id, name="Demo")
    return require_tenant(session, tenant_id)


@contextmanager
def dry_run_guard(session: Session, dry_run: bool) -> Iterator[None]:
    """Run the body in a savepoint that is rolled back when ``dry_run`` is set.

    The step computes and reports exactly what it would do; the database is unchanged.
    """
    if not dry_run:
        yield
        return
    savepoint = session.begin_nested()
    try:
        yield
        session.flush()
    finally:
        savepoint.rollback()


class Stopwatch:
    """Wall time since creation, in seconds."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        """Seconds since the stopwatch was created."""
        return time.perf_counter() - self._start


def content_hash(value: Any) -> str:
    """A stable SHA-256 of a JSON-able value (dict keys sorted).

    >>> content_hash({"b": 1, "a": [1, 2]}) == content_hash({"a": [1, 2], "b": 1})
    True
    >>> len(content_hash("x"))
    64
    """
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def matching_function(name: str) -> Any:
    """``embed_concepts`` / ``embed_examples`` from the matching package, wherever it exports
    them (``core.matching`` re-exports, or ``core.matching.store`` defines them)."""
    import importlib

    for module in ("core.matching", "core.matching.store"):
        found = getattr(importlib.import_module(module), name, None)
        if found is not None:
            return found
    raise RuntimeError(f"core.matching provides no {name}(): the matching package is too old")
