"""Per-language quality checks of labels and synonyms, as a table the builds can show.

Checks (column ``check``):
- ``missing_label``: a live concept or active glossary node has no label in an active language;
- ``duplicate_label``: two live concepts share a label in one language (case/accents ignored);
- ``synonym_is_other_label``: a concept's synonym is another concept's label in that language;
- ``stale_translation``: a machine translation whose source text changed since.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session, load_only

from core.config import get_settings
from core.language.provenance import prov_entry, value_hash
from core.language.text import fold, squash
from core.models import Concept, ConceptStatus, GlossaryNode
from core.tenancy import scoped, validate_tenant_id

COLUMNS = ["check", "lang", "kind", "concept_id", "node_id", "code", "detail"]
"""Columns of :func:`quality_report` (``concept_id`` or ``node_id`` is set, per ``kind``)."""

LIVE_STATUSES = (ConceptStatus.DRAFT.value, ConceptStatus.VALIDATED.value)


def _issue(
    check: str,
    lang: str,
    *,
    concept_id: int | None = None,
    node_id: int | None = None,
    code: str | None,
    detail: str,
) -> dict[str, Any]:
    return {
        "check": check,
        "lang": lang,
        "kind": "concept" if concept_id is not None else "glossary_node",
        "concept_id": concept_id,
        "node_id": node_id,
        "code": code,
        "detail": detail,
    }


def _stale(texts: dict[str, Any], provenance: dict[str, Any], field: str, lang: str) -> str | None:
    entry = prov_entry(provenance, field, lang)
    if entry.get("source") != "machine" or not entry.get("hash") or not entry.get("from"):
        return None
    source = texts.get(entry["from"])
    if isinstance(source, list):
        source = [squash(v) for v in source if isinstance(v, str) and v.strip()]
    elif isinstance(source, str):
        source = squash(source)
    if not source or value_hash(source) == entry["hash"]:
        return None
    return f"{field} translated from {entry['from']} whose text changed since"


def concept_issues(rows: Sequence[Any], langs: Sequence[str]) -> list[dict[str, Any]]:
    """Issues among concepts (objects with concept_id, code, labels, synonyms, provenance).

    >>> from types import SimpleNamespace as C
    >>> rows = [C(concept_id=1, code="a", labels={"fr": "Tours"}, synonyms={"fr": ["Fraiseuse"]},
    ...           definitions={}, provenance={}),
    ...         C(concept_id=2, code="b", labels={"fr": "tours"}, synonyms={}, definitions={},
    ...           provenance={}),
    ...         C(concept_id=3, code="c", labels={"fr": "Fraiseuse"}, synonyms={},
    ...           definitions={}, provenance={})]
    >>> sorted((i["check"], i["concept_id"]) for i in concept_issues(rows, ["fr"]))
    [('duplicate_label', 1), ('duplicate_label', 2), ('synonym_is_other_label', 1)]
    """
    issues: list[dict[str, Any]] = []
    for lang in langs:
        by_label: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            label = (row.labels or {}).get(lang)
            if isinstance(label, str) and label.strip():
                by_label[fold(label)].append(row)
            else:
                issues.append(
                    _issue(
                        "missing_label",
                        lang,
                        concept_id=row.concept_id,
                        code=row.code,
                        detail=f"no {lang} label",
                    )
                )
        for same in by_label.values():
            if len(same) < 2:
                continue
            for row in same:
                others = ", ".join(str(o.concept_id) for o in same if o is not row)
                issues.append(
                    _issue(
                        "duplicate_label",
                        lang,
                        concept_id=row.concept_id,
                        code=row.code,
                        detail=f"label {row.labels[lang]!r} also used by concept(s) {others}",
                    )
                )
        for row in rows:
            for synonym in (row.synonyms or {}).get(lang, []) or []:
                owners = [o for o in by_label.get(fold(synonym), []) if o is not row]
                if owners:
                    names = ", ".join(str(o.concept_id) for o in owners)
                    issues.append(
                        _issue(
                            "synonym_is_other_label",
                            lang,
                            concept_id=row.concept_id,
                            code=row.code,
                            detail=f"synonym {synonym!r} is the label of concept(s) {names}",
                        )
                    )
            for field in ("labels", "synonyms", "definitions"):
                texts = getattr(row, field, None) or {}
                why = _stale(texts, row.provenance or {}, field, lang) if lang in texts else None
                if why:
                    issues.append(
                        _issue(
                            "stale_translation",
                            lang,
                            concept_id=row.concept_id,
                            code=row.code,
                            detail=why,
                        )
                    )
    return issues


def node_issues(rows: Sequence[Any], langs: Sequence[str]) -> list[dict[str, Any]]:
    """Missing labels and stale translations of glossary nodes."""
    issues: list[dict[str, Any]] = []
    for row in rows:
        labels = row.labels or {}
        for lang in langs:
            label = labels.get(lang)
            if not (isinstance(label, str) and label.strip()):
                issues.append(
                    _issue(
                        "missing_label",
                        lang,
                        node_id=row.node_id,
                        code=row.code,
                        detail=f"no {lang} label",
                    )
                )
            for field in ("labels", "descriptions"):
                texts = getattr(row, field, None) or {}
                why = _stale(texts, row.provenance or {}, field, lang) if lang in texts else None
                if why:
                    issues.append(
                        _issue(
                            "stale_translation",
                            lang,
                            node_id=row.node_id,
                            code=row.code,
                            detail=why,
                        )
                    )
    return issues


def quality_report(
    session: Session,
    tenant_id: str,
    *,
    langs: Sequence[str] | None = None,
    include_nodes: bool = True,
) -> pd.DataFrame:
    """Every label issue of a tenant, one row per issue (columns: :data:`COLUMNS`).

    Args:
        session: any session (read only).
        tenant_id: the tenant to check.
        langs: languages to check (default: the active languages from settings).
        include_nodes: also check active glossary nodes (missing labels, stale translations).
    """
    tenant = validate_tenant_id(tenant_id)
    wanted = list(langs) if langs else list(get_settings().languages)
    concepts = session.scalars(
        scoped(Concept, tenant, Concept.status.in_(LIVE_STATUSES))
        .options(
            load_only(
                Concept.concept_id,
                Concept.code,
                Concept.labels,
                Concept.synonyms,
                Concept.definitions,
                Concept.provenance,
            )
        )
        .order_by(Concept.concept_id)
    ).all()
    issues = concept_issues(concepts, wanted)
    if include_nodes:
        nodes = session.scalars(
            scoped(GlossaryNode, tenant, GlossaryNode.status == "active")
            .options(
                load_only(
                    GlossaryNode.node_id,
                    GlossaryNode.code,
                    GlossaryNode.labels,
                    GlossaryNode.descriptions,
                    GlossaryNode.provenance,
                )
            )
            .order_by(GlossaryNode.path)
        ).all()
        issues.extend(node_issues(nodes, wanted))
    frame = pd.DataFrame(issues, columns=COLUMNS)
    for column in ("concept_id", "node_id"):
        frame[column] = frame[column].astype("Int64")
    return frame.sort_values(["check", "lang", "kind", "code"], kind="stable").reset_index(
        drop=True
    )


def quality_summary(report: pd.DataFrame) -> pd.DataFrame:
    """Issue counts per check and language (a compact view for build notebooks)."""
    if report.empty:
        return pd.DataFrame(columns=["check", "lang", "count"])
    return report.groupby(["check", "lang"]).size().reset_index(name="count")
