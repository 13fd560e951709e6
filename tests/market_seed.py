"""The real DECP sample as a market tenant (shared by the market and workbench tests)."""

from __future__ import annotations


def seed_decp_sample(tenant_id: str) -> str:
    """Import the shipped sample into ``tenant_id`` and commit: CPV glossary, DECP demands,
    their suppliers, one validated concept per glossary node, demands classified.

    Concepts are copied from the nodes (what the dico build does, without its embeddings),
    so the market tests stay about the market analytics.
    """
    from core.db import session_scope
    from core.imports.market import import_market
    from core.imports.taxonomy import import_taxonomy
    from core.market.classification import classify_items
    from core.models import Concept, GlossaryNode
    from core.tenancy import scoped
    from tests.conftest import SAMPLE_DIR

    with session_scope() as session:
        import_taxonomy(session, tenant_id, SAMPLE_DIR / "cpv_sample.csv", taxonomy="cpv")
        import_market(session, tenant_id, SAMPLE_DIR / "decp_sample.csv")
        for node in session.scalars(scoped(GlossaryNode, tenant_id)):
            session.add(
                Concept(
                    tenant_id=tenant_id,
                    code=node.code,
                    taxonomy=node.taxonomy,
                    labels=dict(node.labels),
                    path=node.path,
                    status="validated",
                    origin="imported",
                )
            )
        session.flush()
        report = classify_items(session, tenant_id, kind="demand")
        if report.by_matcher or report.to_classify:
            raise AssertionError(f"the sample should classify by its CPV codes: {report}")
    return tenant_id
