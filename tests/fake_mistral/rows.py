"""Row factories shared by the language and SEO tests (concepts, glossary nodes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def add_concept(session: Any, tenant_id: str, code: str, labels: dict[str, str], **kw: Any) -> Any:
    """A concept row (validated unless told), flushed so it has an id."""
    from core.models import Concept

    concept = Concept(
        tenant_id=tenant_id,
        code=code,
        taxonomy=kw.pop("taxonomy", "cpv"),
        labels=labels,
        synonyms=kw.pop("synonyms", {}),
        definitions=kw.pop("definitions", {}),
        provenance=kw.pop("provenance", {}),
        status=kw.pop("status", "validated"),
        path=kw.pop("path", code),
        **kw,
    )
    session.add(concept)
    session.flush()
    return concept


def add_node(session: Any, tenant_id: str, code: str, labels: dict[str, str], **kw: Any) -> Any:
    """A glossary node row, flushed."""
    from core.models import GlossaryNode

    node = GlossaryNode(
        tenant_id=tenant_id,
        taxonomy=kw.pop("taxonomy", "cpv"),
        code=code,
        node_type=kw.pop("node_type", "class"),
        level=kw.pop("level", 1),
        path=kw.pop("path", code),
        labels=labels,
        descriptions=kw.pop("descriptions", {}),
        provenance=kw.pop("provenance", {}),
        **kw,
    )
    session.add(node)
    session.flush()
    return node


@pytest.fixture
def make_concept(session: Any, tenant_id: str) -> Callable[..., Any]:
    """``make_concept(code, labels, **columns)`` in the test's tenant and session."""
    return lambda code, labels, **kw: add_concept(session, tenant_id, code, labels, **kw)


@pytest.fixture
def make_node(session: Any, tenant_id: str) -> Callable[..., Any]:
    """``make_node(code, labels, **columns)`` in the test's tenant and session."""
    return lambda code, labels, **kw: add_node(session, tenant_id, code, labels, **kw)
