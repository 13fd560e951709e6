"""Fixtures of the import tests: file writers and row counters on the real database."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from core.demo import SAMPLE_DIR


@pytest.fixture
def new_tenant(engine: object) -> str:
    """A valid tenant id that does not exist yet (importers create their tenant)."""
    return f"tenant_imp_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write text (or bytes) to a file in the test's temporary folder and return its path."""

    def write(name: str, content: str | bytes, *, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding=encoding, newline="")
        return path

    return write


@pytest.fixture
def sample_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of a shipped sample file, safe to edit."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copyfile(SAMPLE_DIR / name, target)
        return target

    return copy


@pytest.fixture
def rows_of(engine: object) -> Callable[[str], dict[str, int]]:
    """Rows per table of one tenant, read in a fresh transaction (what is really stored)."""
    from core.db import session_scope
    from core.reporting import tenant_counts

    def count(tenant_id: str) -> dict[str, int]:
        with session_scope() as session:
            return tenant_counts(session, tenant_id)[tenant_id]

    return count
