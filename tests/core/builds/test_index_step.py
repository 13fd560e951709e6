"""Build step 4: the FAISS index is rebuilt only when the validated concepts changed."""

from __future__ import annotations

from pathlib import Path

from core.builds.dico import build_dico
from core.builds.index_step import build_index_step
from core.db import session_scope
from core.models import Concept
from core.tenancy import scoped


def test_index_is_built_checked_and_not_rebuilt_for_nothing(built_tenant: str, settings) -> None:
    with session_scope() as session:
        build_dico(session, built_tenant, auto_validate=True)
    with session_scope() as session:
        first = build_index_step(session, built_tenant)
    assert first.counts == {"vectors": 71, "rebuilt": 1, "recall": 1.0}  # flat index: exact
    assert first.manifest["count"] == 71
    folder = Path(settings.faiss_index_dir) / built_tenant
    assert any(folder.rglob("manifest.json"))
    with session_scope() as session:
        again = build_index_step(session, built_tenant)
    assert again.counts["rebuilt"] == 0
    assert again.changes == 0
    assert again.manifest["version"] == first.manifest["version"]
    with session_scope() as session:  # a curator rejects a concept: the index follows
        concept = session.scalars(scoped(Concept, built_tenant, Concept.code == "50300000")).one()
        concept.status = "rejected"
    with session_scope() as session:
        changed = build_index_step(session, built_tenant)
    assert changed.counts["rebuilt"] == 1
    assert changed.counts["vectors"] == 70
    with session_scope() as session:
        forced = build_index_step(session, built_tenant, force=True)
    assert forced.counts["rebuilt"] == 1
    assert forced.manifest["version"] != changed.manifest["version"]
