"""Workbench fixtures: a seeded tenant, users of each role, and AppTest sessions signed in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.curation_seed import Seed, seed_tenant

APP = Path(__file__).resolve().parents[2] / "workbench" / "streamlit_app.py"


@dataclass
class Workbench:
    """A seeded tenant and a factory of signed-in AppTests on it."""

    seed: Seed

    def app(self, role: str, page: str | None = None, *, lang: str = "fr"):
        """An AppTest of the router, signed in as ``role`` on the tenant, on ``page``."""
        from streamlit.testing.v1 import AppTest

        from core.users import Identity

        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["ml_user"] = Identity(f"{role}_wb", role, (self.seed.tenant_id,))
        at.session_state["ml_tenant"] = self.seed.tenant_id
        at.session_state["ml_lang"] = lang
        at.run()
        if page is not None:
            at.switch_page(f"app_pages/{page}.py")
            at.run()
        return at


def _seeded(embedder) -> Seed:
    from core.db import session_scope

    with session_scope() as s:
        return seed_tenant(s, f"tenant_wb_{uuid.uuid4().hex[:10]}", embedder)


@pytest.fixture(scope="module")
def shared_wb(engine, embedder) -> Workbench:
    """One seeded tenant for read-only page tests of a module."""
    return Workbench(_seeded(embedder))


@pytest.fixture
def fresh_wb(engine, embedder) -> Workbench:
    """A seeded tenant of its own, for tests that write."""
    return Workbench(_seeded(embedder))
