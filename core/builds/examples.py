"""Labelled texts → concept examples (what the matcher uses as a third candidate source).

Sources: the tenant's demands that carry a concept code (imported DECP contracts carry the
buyer's CPV code) and, optionally, a labelled CSV (``text``, ``expected_code``, ``lang``).
Examples are keyed by ``(concept, text hash)``, so attaching the same texts twice adds
nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationProblems
from core.models import Concept, ConceptExample, ConceptStatus, Demand
from core.tenancy import scoped

CODE_COLUMNS = ("expected_code", "code", "concept_code", "cpv_code")


@dataclass
class ExampleReport:
    """Counts of one attachment pass."""

    created: int = 0
    existing: int = 0
    unmatched: int = 0
    held_out: int = 0


def example_hash(text: str) -> str:
    """Hash of a text up to case and spacing (the same wording is one example).

    >>> example_hash("Entretien  des POMPES") == example_hash("entretien des pompes")
    True
    """
    normalised = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def held_out(text: str, share: float) -> bool:
    """Whether a text belongs to the deterministic hold-out share (same text, same answer).

    >>> held_out("Entretien des pompes", 0.0), held_out("Entretien des pompes", 1.0)
    (False, True)
    """
    return int(example_hash(text)[:8], 16) / 0x100000000 < share


def demand_source(source: str | None) -> str:
    """``contract`` for public procurement imports (DECP), ``demand`` otherwise.

    >>> demand_source("decp"), demand_source("csv")
    ('contract', 'demand')
    """
    value = (source or "").lower()
    return "contract" if "decp" in value or "contract" in value else "demand"


def read_labelled_file(path: Path) -> list[tuple[str, str, str]]:
    """``(text, code, lang)`` rows of a labelled CSV.

    Raises:
        ValidationProblems: no text column or no code column.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    code_column = next((c for c in CODE_COLUMNS if c in frame.columns), None)
    problems = []
    if "text" not in frame.columns:
        problems.append("missing column 'text'")
    if code_column is None:
        problems.append(f"missing a code column (one of {', '.join(CODE_COLUMNS)})")
    if problems:
        raise ValidationProblems(problems, source=str(path))
    langs = frame["lang"] if "lang" in frame.columns else pd.Series(["fr"] * len(frame))
    return [
        (text.strip(), code.strip(), (lang or "fr").strip() or "fr")
        for text, code, lang in zip(frame["text"], frame[code_column], langs, strict=True)
        if text.strip() and code.strip()
    ]


def attach_examples(
    session: Session,
    tenant_id: str,
    *,
    use_demands: bool = True,
    holdout: float = 0.0,
    path: Path | None = None,
    warnings: list[str] | None = None,
) -> ExampleReport:
    """Attach labelled texts to the concepts with their code (merged concepts: their target).

    Rejected concepts get no examples; texts whose code names no concept are counted as
    ``unmatched`` (a buyer's code outside the tenant's glossary). A deterministic ``holdout``
    share of the demands is kept out, so that the evaluate step has texts the matcher has
    not seen as examples.
    """
    report = ExampleReport()
    concepts = {
        c.code: c
        for c in session.scalars(
            scoped(Concept, tenant_id, Concept.status != ConceptStatus.REJECTED.value)
        )
        if c.code
    }
    by_id = {c.concept_id: c for c in concepts.values()}
    items: list[tuple[str, str, str, str, str | None]] = []  # text, code, lang, source, ref
    if use_demands:
        demands = session.execute(
            select(Demand.demand_id, Demand.external_ref, Demand.text, Demand.concept_code,
                   Demand.source)
            .where(Demand.tenant_id == tenant_id, Demand.concept_code.is_not(None))
            .order_by(Demand.demand_id)
        )  # fmt: skip
        for demand_id, ref, text, code, source in demands:
            if text and text.strip() and held_out(text.strip(), holdout):
                report.held_out += 1
            elif text and text.strip():
                items.append(
                    (text.strip(), code, "fr", demand_source(source), ref or f"demand:{demand_id}")
                )
    if path is not None:
        for number, (text, code, lang) in enumerate(read_labelled_file(path), start=2):
            items.append((text, code, lang, "human", f"{path.name}:{number}"))
    existing = {
        (concept_id, text_hash)
        for concept_id, text_hash in session.execute(
            select(ConceptExample.concept_id, ConceptExample.text_hash).where(
                ConceptExample.tenant_id == tenant_id
            )
        )
    }
    unmatched_codes: set[str] = set()
    for text, code, lang, source, ref in items:
        concept = concepts.get(code)
        if concept is not None and concept.status == ConceptStatus.MERGED.value:
            concept = by_id.get(concept.merged_into_id) if concept.merged_into_id else None
        if concept is None or concept.concept_id is None:
            report.unmatched += 1
            unmatched_codes.add(code)
            continue
        key = (concept.concept_id, example_hash(text))
        if key in existing:
            report.existing += 1
            continue
        existing.add(key)
        session.add(
            ConceptExample(
                tenant_id=tenant_id,
                concept_id=concept.concept_id,
                text=text,
                text_hash=key[1],
                lang=lang[:8],
                source=source,
                source_ref=(ref or "")[:100] or None,
            )
        )
        report.created += 1
    if unmatched_codes and warnings is not None:
        shown = ", ".join(sorted(unmatched_codes)[:10])
        more = "…" if len(unmatched_codes) > 10 else ""
        warnings.append(
            f"{report.unmatched} labelled text(s) name no concept of this tenant "
            f"(codes {shown}{more}): not attached"
        )
    session.flush()
    return report
