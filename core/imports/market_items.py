"""Shared upsert of offers and demands by ``(tenant, external_ref)``, in bulk.

Both the DECP contracts and the generic market file end here. An item's import-owned
columns are compared one by one with the stored row; only changed rows are written, so a
re-import is a no-op. Classification done later by the matcher or a curator
(``classified_by`` = ``matcher`` / ``human``) is never overwritten by an import.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.imports.progress import bulk_update, chunks, progress_iter
from core.imports.report import ImportReport
from core.models import Concept, ConceptStatus, Demand, Offer
from core.tenancy import scoped

ITEM_FIELDS = (
    "text",
    "concept_code",
    "company_id",
    "quantity",
    "amount_eur",
    "region",
    "departement",
    "published_on",
    "starts_on",
    "ends_on",
    "status",
    "source",
)
DEMAND_FIELDS = ("buyer_name", "buyer_siret", "awarded_company_ids")
CLASSIFICATION_FIELDS = ("concept_ids", "classified_by", "classification_confidence")
KEEP_CLASSIFICATION_OF = ("matcher", "human")
_BATCH = 2000


def concept_ids_by_code(
    session: Session, tenant_id: str, codes: Iterable[str | None]
) -> dict[str, int]:
    """Validated or draft concepts of the tenant whose ``code`` is one of ``codes``."""
    wanted = sorted({code for code in codes if code})
    if not wanted:
        return {}
    stmt = scoped(
        Concept,
        tenant_id,
        Concept.code.in_(wanted),
        Concept.status.in_([ConceptStatus.VALIDATED.value, ConceptStatus.DRAFT.value]),
    ).with_only_columns(Concept.code, Concept.concept_id)
    return {str(code): concept_id for code, concept_id in session.execute(stmt).tuples()}


def _classification(concept_id: int | None) -> dict[str, Any]:
    """Source classification when the item's code names a concept, else none yet.

    >>> _classification(7)
    {'concept_ids': [7], 'classified_by': 'source', 'classification_confidence': 1.0}
    >>> _classification(None)["concept_ids"]
    []
    """
    if concept_id is None:
        return {"concept_ids": [], "classified_by": None, "classification_confidence": None}
    return {
        "concept_ids": [concept_id],
        "classified_by": "source",
        "classification_confidence": 1.0,
    }


def load_items_by_ref(
    session: Session, tenant_id: str, model: type[Demand] | type[Offer]
) -> dict[str, dict[str, Any]]:
    """The tenant's offers or demands keyed by external_ref (import-owned columns, ``pk``)."""
    fields: tuple[str, ...] = ITEM_FIELDS + CLASSIFICATION_FIELDS + ("extra",)
    if model is Demand:
        fields += DEMAND_FIELDS
    primary = getattr(model, "demand_id" if model is Demand else "offer_id")
    stmt = scoped(model, tenant_id, model.external_ref.is_not(None)).with_only_columns(
        primary.label("pk"), model.external_ref, *(getattr(model, name) for name in fields)
    )
    return {row.external_ref: dict(row._mapping) for row in session.execute(stmt)}


def upsert_items(
    session: Session,
    tenant_id: str,
    model: type[Demand] | type[Offer],
    items: list[dict[str, Any]],
    report: ImportReport,
    *,
    progress: bool = False,
) -> dict[str, int]:
    """Insert new items, update changed ones, count the rest as unchanged.

    Args:
        session: open session (not committed here).
        tenant_id: validated tenant id.
        model: ``Demand`` or ``Offer``.
        items: dicts with ``external_ref``, ``extra`` and the import-owned columns.
        report: counts are added to it.
        progress: draw a progress bar.

    Returns:
        external_ref → primary key of every item of the file.
    """
    existing = load_items_by_ref(session, tenant_id, model)
    concepts = concept_ids_by_code(session, tenant_id, (i.get("concept_code") for i in items))
    pk_name = "demand_id" if model is Demand else "offer_id"
    moment = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    label = "demands" if model is Demand else "offers"
    for item in progress_iter(items, enabled=progress, desc=label, total=len(items)):
        classification = _classification(concepts.get(item.get("concept_code") or ""))
        old = existing.get(item["external_ref"])
        if old is None:
            inserts.append({**item, **classification, "tenant_id": tenant_id})
            report.created += 1
            continue
        changes = {
            name: value
            for name, value in item.items()
            if name not in ("external_ref", "extra") and old.get(name) != value
        }
        extra = {**(old["extra"] or {}), **item["extra"]}
        if extra != (old["extra"] or {}):
            changes["extra"] = extra
        if old["classified_by"] in KEEP_CLASSIFICATION_OF:
            changes.pop("status", None)
        else:
            changes.update({name: v for name, v in classification.items() if old.get(name) != v})
        if not changes:
            report.unchanged += 1
            continue
        updates.append({pk_name: old["pk"], "updated_at": moment, **changes})
        report.updated += 1
    ids = {ref: old["pk"] for ref, old in existing.items()}
    primary = getattr(model, pk_name)
    for batch in chunks(inserts, _BATCH):
        returned = session.execute(insert(model).returning(primary, model.external_ref), batch)
        ids.update({ref: pk for pk, ref in returned})
    bulk_update(session, model, updates, size=_BATCH)
    return {item["external_ref"]: ids[item["external_ref"]] for item in items}
