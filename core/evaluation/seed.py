"""Set up an evaluation tenant straight from a taxonomy CSV and labelled contracts.

Evaluation needs the *whole* taxonomy as validated concepts, which the normal path
(import-taxonomy → dico build → curation) produces only after curators' work. This module
creates the concepts directly (status ``validated``, labels per language, materialised path)
and adds labelled contracts as concept examples — split so that the texts you evaluate on
are never examples (see :func:`split_by_buyer`).
"""

from __future__ import annotations

import csv
import hashlib
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.errors import UserError
from core.models import Concept, ConceptExample, ConceptStatus
from core.tenancy import ensure_tenant, scoped

TAXONOMY_COLUMNS = ("code", "parent_code", "label_fr", "label_en")


def read_taxonomy(path: str | Path) -> list[dict[str, str]]:
    """Rows of a taxonomy CSV with ``code, parent_code, label_fr, label_en`` (CPV, NAF).

    Raises:
        UserError: a required column is missing.
    """
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in TAXONOMY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(
                f"{path}: missing column(s) {', '.join(missing)}; a taxonomy CSV needs "
                f"{', '.join(TAXONOMY_COLUMNS)}"
            )
        return [dict(row) for row in reader]


def materialised_paths(rows: Sequence[dict[str, str]]) -> dict[str, str]:
    """``code → root/…/code`` from parent codes (unknown parents start a new root).

    >>> materialised_paths([{"code": "1", "parent_code": ""}, {"code": "2", "parent_code": "1"}])
    {'1': '1', '2': '1/2'}
    """
    parent = {r["code"]: (r.get("parent_code") or "") for r in rows}
    paths: dict[str, str] = {}

    def path_of(code: str, depth: int = 0) -> str:
        if code in paths:
            return paths[code]
        up = parent.get(code, "")
        if not up or up not in parent or depth > 50:
            paths[code] = code
        else:
            paths[code] = path_of(up, depth + 1) + "/" + code
        return paths[code]

    for row in rows:
        path_of(row["code"])
    return paths


def seed_concepts(
    session: Session,
    tenant_id: str,
    rows: Sequence[dict[str, str]],
    *,
    status: str = ConceptStatus.VALIDATED.value,
    taxonomy: str = "cpv",
    langs: Sequence[str] = ("fr", "en"),
) -> dict[str, int]:
    """Create one concept per taxonomy row (existing codes are left as they are).

    Returns:
        ``code → concept_id`` for every row's code.
    """
    tenant = ensure_tenant(session, tenant_id)
    existing = _codes(session, tenant)
    paths = materialised_paths(rows)
    new = [
        {
            "tenant_id": tenant,
            "code": row["code"],
            "taxonomy": taxonomy,
            "labels": {lang: row[f"label_{lang}"] for lang in langs if row.get(f"label_{lang}")},
            "synonyms": {},
            "definitions": {},
            "provenance": {},
            "origin": "imported",
            "related_concept_ids": [],
            "source_node_ids": [],
            "source_versions": {},
            "path": paths[row["code"]],
            "status": status,
            "is_stale": False,
            "content_hash": "",
            "extra": {"parent_code": row.get("parent_code") or None},
        }
        for row in rows
        if row["code"] not in existing
    ]
    if new:
        session.execute(insert(Concept), new)
        existing = _codes(session, tenant)
    return {row["code"]: existing[row["code"]] for row in rows}


def _codes(session: Session, tenant: str) -> dict[str, int]:
    stmt = scoped(Concept, tenant).with_only_columns(Concept.code, Concept.concept_id)
    return {str(code): int(cid) for code, cid in session.execute(stmt) if code is not None}


@dataclass(frozen=True)
class LabelledText:
    """A text labelled with a concept code (a contract object and its CPV code)."""

    text: str
    code: str
    group: str  # what must not be split across examples and evaluation (e.g. the buyer)
    ref: str


def read_contracts(path: str | Path) -> list[LabelledText]:
    """DECP-style contracts (``objet``, ``cpv_code``, ``buyer_siret``, ``contract_id``)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        needed = ("objet", "cpv_code", "buyer_siret", "contract_id")
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(
                f"{path}: missing column(s) {', '.join(missing)} (a DECP contracts CSV)"
            )
        return [
            LabelledText(
                text=row["objet"].strip(),
                code=row["cpv_code"].strip(),
                group=(row["buyer_siret"] or row["buyer_name"] or row["contract_id"])[:9],
                ref=row["contract_id"],
            )
            for row in reader
            if row["objet"].strip() and row["cpv_code"].strip()
        ]


def split_by_buyer(
    items: Iterable[LabelledText], *, holdout_share: float = 0.5, salt: str = "ml"
) -> tuple[list[LabelledText], list[LabelledText]]:
    """Split into (examples, held-out) by buyer, so no buyer's wording is on both sides.

    The group is the buyer's SIREN (first 9 digits of its SIRET): one buyer writes many
    near-identical objects ("Lot 1 …", "Lot 2 …"), which would leak if split by contract.
    Deterministic (a hash of the group), so the split is the same on every machine.

    >>> items = [LabelledText("a", "1", g, g) for g in "abcdefgh"]
    >>> ex, held = split_by_buyer(items)
    >>> len(ex) + len(held) == 8 and not {i.group for i in ex} & {i.group for i in held}
    True
    """
    if not 0 < holdout_share < 1:
        raise UserError(f"holdout share must be between 0 and 1, got {holdout_share}")
    examples: list[LabelledText] = []
    held: list[LabelledText] = []
    for item in items:
        bucket = zlib.crc32(f"{salt}:{item.group}".encode()) % 1000
        (held if bucket < holdout_share * 1000 else examples).append(item)
    return examples, held


def seed_examples(
    session: Session,
    tenant_id: str,
    items: Iterable[LabelledText],
    codes: dict[str, int],
    *,
    source: str = "contract",
) -> int:
    """Add labelled texts as concept examples (unknown codes skipped, duplicates ignored).

    Returns:
        How many examples were added.
    """
    tenant = ensure_tenant(session, tenant_id)
    existing = {
        (cid, digest)
        for cid, digest in session.execute(
            scoped(ConceptExample, tenant).with_only_columns(
                ConceptExample.concept_id, ConceptExample.text_hash
            )
        )
    }
    rows = []
    for item in items:
        concept_id = codes.get(item.code)
        if concept_id is None:
            continue
        digest = hashlib.sha256(item.text.encode("utf-8")).hexdigest()
        if (concept_id, digest) in existing:
            continue
        existing.add((concept_id, digest))
        rows.append(
            {
                "tenant_id": tenant,
                "concept_id": concept_id,
                "text": item.text,
                "text_hash": digest,
                "lang": "fr",
                "source": source,
                "source_ref": item.ref[:100],
            }
        )
    if rows:
        session.execute(insert(ConceptExample), rows)
    return len(rows)


def write_pairs(path: str | Path, items: Iterable[LabelledText]) -> int:
    """Write ``text,expected_code,lang`` pairs (the evaluation file format)."""
    count = 0
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "expected_code", "lang"])
        for item in items:
            writer.writerow([item.text, item.code, "fr"])
            count += 1
    return count
