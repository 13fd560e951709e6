"""Import a taxonomy (CPV, NAF or a tenant's own tree) from CSV/XLSX into glossary nodes.

Validation comes first and is complete (every problem of the file is listed, with its row),
then the upsert runs in a few bulk statements: the full CPV (9,454 codes) takes seconds, not
minutes. A node's ``version`` is bumped only when its imported content changes, which is how
the dictionary build notices stale concepts; re-importing the same file changes nothing.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.errors import UserError, ValidationProblems
from core.imports.progress import bulk_update, progress_iter, written_in_batches
from core.imports.reader import Row, Table, normalise_column, read_table
from core.imports.report import ImportReport
from core.imports.tree import depth, resolve_paths
from core.imports.values import content_hash, now_iso, text_hash
from core.models import GlossaryNode
from core.tenancy import ensure_tenant, scoped, validate_tenant_id

TAXONOMY_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_CPV_CODE = re.compile(r"^\d{8}$")
_NAF_CODE = re.compile(r"^(?:[A-U]|\d{2}|\d{2}\.\d{1,2}|\d{2}\.\d{2}[A-Z])$")
_LABEL_COLUMN = re.compile(r"^label_([a-z]{2,3})$")
_DESCRIPTION_COLUMN = re.compile(r"^description_([a-z]{2,3})$")
NODE_TYPES: dict[str, dict[int, str]] = {
    "cpv": {1: "division", 2: "group", 3: "class", 4: "category"},
    "naf": {1: "section", 2: "division", 3: "group", 4: "class", 5: "subclass"},
}
"""Names of the levels of the known taxonomies; deeper or unknown levels are ``level-N``."""
_BATCH = 2000


@dataclass(frozen=True)
class TaxonomyColumns:
    """Which file column holds what. ``None`` means "find it by its usual name".

    The defaults read the CPV file (``code,check_digit,parent_code,level,label_fr,label_en``)
    and the NAF file (``code,parent_code,level,label_fr,label_en``) as they are. Columns not
    mapped to anything (``check_digit``) are kept in the node's ``extra``.

    Attributes:
        code: the node's code (required).
        parent: the parent's code; ``None`` finds ``parent_code`` or ``parent``; a file without
            one is a flat list of roots.
        level: the level number; ``None`` finds ``level``, or counts the depth in the tree.
        labels: language → column; ``None`` finds every ``label_<lang>`` column.
        descriptions: language → column; ``None`` finds every ``description_<lang>`` column.
        type: the node type; ``None`` finds ``node_type`` or ``type``, or names the level.
    """

    code: str = "code"
    parent: str | None = None
    level: str | None = None
    labels: Mapping[str, str] | None = None
    descriptions: Mapping[str, str] | None = None
    type: str | None = None

    def resolved(self, header: list[str]) -> TaxonomyColumns:
        """A copy with every ``None`` replaced by the column found in ``header`` (if any).

        >>> cols = TaxonomyColumns().resolved(["code", "parent_code", "label_fr", "label_en"])
        >>> cols.parent, cols.level, dict(cols.labels or {})
        ('parent_code', None, {'fr': 'label_fr', 'en': 'label_en'})
        """

        def first(*names: str) -> str | None:
            return next((name for name in names if name in header), None)

        def by_pattern(pattern: re.Pattern[str]) -> dict[str, str]:
            return {m.group(1): m.group(0) for name in header if (m := pattern.match(name))}

        labels = self.labels
        if labels is None:
            labels = by_pattern(_LABEL_COLUMN) or ({"fr": "label"} if "label" in header else {})
        return replace(
            self,
            code=normalise_column(self.code),
            parent=(
                normalise_column(self.parent) if self.parent else first("parent_code", "parent")
            ),
            level=normalise_column(self.level) if self.level else first("level"),
            labels={lang: normalise_column(col) for lang, col in labels.items()},
            descriptions={
                lang: normalise_column(col)
                for lang, col in (
                    self.descriptions
                    if self.descriptions is not None
                    else by_pattern(_DESCRIPTION_COLUMN)
                ).items()
            },
            type=normalise_column(self.type) if self.type else first("node_type", "type"),
        )

    def mapped(self) -> set[str]:
        """Every column this mapping reads."""
        named = {self.code, self.parent, self.level, self.type}
        named |= set((self.labels or {}).values()) | set((self.descriptions or {}).values())
        return {name for name in named if name}


@dataclass
class _Item:
    """One validated row, ready to become a glossary node."""

    row: int
    code: str
    parent: str | None
    level: int | None
    node_type: str | None
    labels: dict[str, str]
    descriptions: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)


def detect_taxonomy(codes: list[str]) -> str:
    """``cpv`` or ``naf`` when every code has that shape, else ``custom``.

    >>> detect_taxonomy(["42000000", "42100000"]), detect_taxonomy(["C", "28", "28.41Z"])
    ('cpv', 'naf')
    >>> detect_taxonomy(["A1", "A1.2"])
    'custom'
    """
    if codes and all(_CPV_CODE.match(code) for code in codes):
        return "cpv"
    if codes and all(_NAF_CODE.match(code) for code in codes):
        return "naf"
    return "custom"


def node_type_for(taxonomy: str, level: int) -> str:
    """The name of a level in a known taxonomy, else ``level-N``.

    >>> node_type_for("cpv", 4), node_type_for("cpv", 6), node_type_for("naf", 5)
    ('category', 'level-6', 'subclass')
    """
    return NODE_TYPES.get(taxonomy, {}).get(level, f"level-{level}")


def _parse_rows(table: Table, cols: TaxonomyColumns) -> tuple[list[_Item], list[str]]:
    """Turn rows into items; collect row-level problems (empty code, bad level, no label)."""
    problems: list[str] = []
    items: list[_Item] = []
    labels_map = dict(cols.labels or {})
    descriptions_map = dict(cols.descriptions or {})
    keep = [name for name in table.columns if name not in cols.mapped()]
    for row in table.rows:
        code = row.get(cols.code)
        if not code:
            problems.append(f"row {row.number}: empty code")
            continue
        if len(code) > 64:
            problems.append(f"row {row.number}: code {code[:20]!r}… is longer than 64 characters")
            continue
        level = _parse_level(row, cols.level, problems)
        labels = {lang: row.get(col) for lang, col in labels_map.items() if row.get(col)}
        if not labels:
            columns = ", ".join(labels_map.values())
            problems.append(f"row {row.number}: code {code} has no label (columns {columns})")
        items.append(
            _Item(
                row=row.number,
                code=code,
                parent=row.get(cols.parent) or None,
                level=level,
                node_type=row.get(cols.type) or None,
                labels=labels,
                descriptions={
                    lang: row.get(col) for lang, col in descriptions_map.items() if row.get(col)
                },
                extra={name: row.get(name) for name in keep if row.get(name)},
            )
        )
    return items, problems


def _parse_level(row: Row, column: str | None, problems: list[str]) -> int | None:
    raw = row.get(column)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        problems.append(f"row {row.number}: level {raw!r} is not a positive whole number")
        return None
    return int(raw)


def _tree_problems(
    items: list[_Item], existing_parents: Mapping[str, str | None]
) -> tuple[list[str], dict[str, str]]:
    """Duplicate codes, unknown parents and cycles; the paths of every code otherwise."""
    problems: list[str] = []
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    for item in items:
        rows_by_code[item.code].append(item.row)
    for code, rows in rows_by_code.items():
        if len(rows) > 1:
            where = ", ".join(str(r) for r in rows)
            problems.append(f"rows {where}: duplicate code {code} (each code must appear once)")
    parents: dict[str, str | None] = dict(existing_parents)
    parents.update({item.code: item.parent for item in items})
    row_of = {item.code: item.row for item in items}
    for item in items:
        if item.parent == item.code:
            problems.append(f"row {item.row}: code {item.code} is its own parent")
        elif item.parent and item.parent not in parents:
            problems.append(
                f"row {item.row}: unknown parent {item.parent} of code {item.code} "
                "(not in the file nor already imported for this taxonomy)"
            )
    if problems:
        return problems, {}
    paths, cycles = resolve_paths(parents)
    for cycle in cycles:
        loop = " → ".join([*cycle, cycle[0]])
        where = ", ".join(str(row_of[c]) for c in cycle if c in row_of)
        problems.append(f"rows {where}: parent cycle {loop}")
    return problems, paths


def load_nodes_by_code(
    session: Session, tenant_id: str, taxonomy: str
) -> dict[str, dict[str, Any]]:
    """The tenant's nodes of one taxonomy keyed by code (the columns an upsert compares)."""
    stmt = scoped(GlossaryNode, tenant_id, GlossaryNode.taxonomy == taxonomy).with_only_columns(
        GlossaryNode.node_id,
        GlossaryNode.code,
        GlossaryNode.parent_code,
        GlossaryNode.parent_id,
        GlossaryNode.path,
        GlossaryNode.level,
        GlossaryNode.node_type,
        GlossaryNode.labels,
        GlossaryNode.descriptions,
        GlossaryNode.provenance,
        GlossaryNode.extra,
        GlossaryNode.version,
        GlossaryNode.content_hash,
    )
    return {row.code: dict(row._mapping) for row in session.execute(stmt)}


def _merge_texts(
    field_name: str,
    imported: dict[str, str],
    old_texts: dict[str, str],
    provenance: dict[str, dict[str, Any]],
    stamp: str,
    warnings: list[str],
    code: str,
) -> dict[str, str]:
    """New labels (or descriptions): imported texts win, except a curator's own edit.

    A text whose provenance is ``human`` is kept (with a warning); texts the file no longer
    gives are dropped only if they had been imported; machine and human texts in other
    languages stay. ``provenance`` is updated in place.
    """
    merged = dict(old_texts)
    for lang, text in imported.items():
        key = f"{field_name}:{lang}"
        source = provenance.get(key, {}).get("source")
        if source == "human" and merged.get(lang) != text:
            warnings.append(f"code {code}: kept the curator's {key} instead of the file's text")
            continue
        if merged.get(lang) != text or source != "imported":
            provenance[key] = {"source": "imported", "at": stamp, "hash": text_hash(text)}
        merged[lang] = text
    for lang in list(merged):
        key = f"{field_name}:{lang}"
        if lang not in imported and provenance.get(key, {}).get("source") == "imported":
            del merged[lang]
            provenance.pop(key, None)
    return merged


def import_taxonomy(
    session: Session,
    tenant_id: str,
    path: str | Path,
    *,
    taxonomy: str | None = None,
    columns: TaxonomyColumns | None = None,
    encoding: str = "utf-8",
    progress: bool = False,
) -> ImportReport:
    """Upsert the glossary nodes of one taxonomy from a CSV or XLSX file.

    Args:
        session: an open session; nothing is committed here.
        tenant_id: the tenant (created if missing, after validation succeeds).
        path: the file; ``.xlsx`` is read as a workbook, anything else as CSV.
        taxonomy: the taxonomy's name; default ``cpv`` / ``naf`` when the codes look like
            one, else ``custom``.
        columns: the column mapping; default: the usual names (see :class:`TaxonomyColumns`).
        encoding: text encoding of a CSV, decoded strictly.
        progress: draw progress bars (CLI).

    Returns:
        The counts: ``created`` / ``updated`` (content changed, version bumped) /
        ``unchanged``.

    Raises:
        ValidationProblems: one line per problem (wrong encoding, missing columns, empty or
            duplicate codes, unknown parents, cycles, rows without a label); nothing written.
    """
    started = time.perf_counter()
    tenant = validate_tenant_id(tenant_id)
    table = read_table(path, encoding=encoding)
    cols = (columns or TaxonomyColumns()).resolved(table.columns)
    explicit = columns or TaxonomyColumns()
    table.require(
        [cols.code, explicit.parent and cols.parent, explicit.level and cols.level, cols.type]
        + list((cols.labels or {}).values())
        + list((cols.descriptions or {}).values())
    )
    if not cols.labels:
        raise ValidationProblems(
            [
                "no label column: name them label_fr, label_en… or map them with "
                f"--label-col fr=COLUMN; the file has: {', '.join(table.columns)}"
            ],
            source=table.source,
        )
    items, problems = _parse_rows(table, cols)
    name = taxonomy or detect_taxonomy([item.code for item in items])
    if not TAXONOMY_NAME.match(name):
        raise UserError(
            f"invalid taxonomy name {name!r}: use lower-case letters, digits, _ or - (e.g. cpv)"
        )
    existing = load_nodes_by_code(session, tenant, name)
    file_codes = {item.code for item in items}
    tree_problems, paths = _tree_problems(
        items, {code: node["parent_code"] for code, node in existing.items()}
    )
    problems += tree_problems
    if problems:
        raise ValidationProblems(problems, source=table.source)

    ensure_tenant(session, tenant)
    report = ImportReport(kind=f"taxonomy:{name}")
    stamp = now_iso()
    moment = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for item in progress_iter(items, enabled=progress, desc=f"{name}: checking", total=len(items)):
        level = item.level or depth(paths[item.code])
        content = {
            "parent_code": item.parent,
            "path": paths[item.code],
            "level": level,
            "node_type": item.node_type or node_type_for(name, level),
            "labels": item.labels,
            "descriptions": item.descriptions,
            "extra": item.extra,
        }
        digest = content_hash(content)
        old = existing.get(item.code)
        if old is not None and old["content_hash"] == digest:
            report.unchanged += 1
            continue
        provenance: dict[str, dict[str, Any]] = dict(old["provenance"] if old else {})
        labels = _merge_texts(
            "label",
            item.labels,
            dict(old["labels"]) if old else {},
            provenance,
            stamp,
            report.warnings,
            item.code,
        )
        descriptions = _merge_texts(
            "description",
            item.descriptions,
            dict(old["descriptions"]) if old else {},
            provenance,
            stamp,
            report.warnings,
            item.code,
        )
        values = {
            **content,
            "labels": labels,
            "descriptions": descriptions,
            "provenance": provenance,
            "content_hash": digest,
        }
        if old is None:
            inserts.append(
                {**values, "tenant_id": tenant, "taxonomy": name, "code": item.code, "version": 1}
            )
            report.created += 1
        else:
            updates.append(
                {**values, "node_id": old["node_id"], "version": old["version"] + 1}
                | {"updated_at": moment}
            )
            report.updated += 1

    # Nodes only in the database whose path changed because an ancestor moved.
    for code, old in existing.items():
        if code not in file_codes and paths.get(code, old["path"]) != old["path"]:
            updates.append(
                {
                    "node_id": old["node_id"],
                    "path": paths[code],
                    "version": old["version"] + 1,
                    "updated_at": moment,
                }
            )
            report.updated += 1

    ids = {code: node["node_id"] for code, node in existing.items()}
    for batch in written_in_batches(inserts, _BATCH, enabled=progress, desc=f"{name}: writing"):
        returned = session.execute(
            insert(GlossaryNode).returning(GlossaryNode.node_id, GlossaryNode.code), batch
        )
        ids.update({code: node_id for node_id, code in returned})
    bulk_update(session, GlossaryNode, updates, size=_BATCH)
    _link_parents(session, items, existing, ids)

    left_alone = len(set(existing) - file_codes)
    if left_alone:
        report.warnings.append(
            f"{left_alone} node(s) of {name} already imported are not in this file "
            "(left as they are)"
        )
    report.duration_s = time.perf_counter() - started
    return report


def _link_parents(
    session: Session,
    items: list[_Item],
    existing: dict[str, dict[str, Any]],
    ids: dict[str, int],
) -> None:
    """Second pass: point ``parent_id`` at the parent's row now that every row has an id."""
    links = []
    for item in items:
        wanted = ids[item.parent] if item.parent else None
        old = existing.get(item.code)
        if old is None or old["parent_id"] != wanted:
            if old is None and wanted is None:
                continue
            links.append({"node_id": ids[item.code], "parent_id": wanted})
    bulk_update(session, GlossaryNode, links, size=_BATCH)
