"""Import company profiles from a CSV/XLSX file with the documented company schema.

Columns (header names, any order; see the README's "Imports"): ``siren`` and ``name``
(required), ``naf_code``, ``description``, ``products`` (``|``-separated), ``departement``,
``region``, ``website``, ``source``. Companies are upserted by SIREN; an empty cell leaves
the stored value as it is, so a thin file never erases what another source filled in.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.errors import ValidationProblems
from core.imports.places import resolve_place
from core.imports.progress import bulk_update, chunks, progress_iter
from core.imports.reader import read_table
from core.imports.report import ImportReport
from core.imports.values import split_list
from core.models import CompanyProfile
from core.siren import clean_identifier, is_valid_siren
from core.tenancy import ensure_tenant, scoped, validate_tenant_id

REQUIRED_COLUMNS = ("siren", "name")
OPTIONAL_COLUMNS = (
    "naf_code",
    "description",
    "products",
    "departement",
    "region",
    "website",
    "source",
)
_NAF = re.compile(r"^(\d{2})\.?(\d{2})([A-Z])$")
_FIELDS = ("name", "naf_code", "description", "departement", "region", "source")
_BATCH = 2000


def normalise_naf(code: str) -> str | None:
    """``28.41Z`` from ``28.41Z``, ``2841Z`` or ``28.41z``; ``None`` if it is not a NAF code.

    >>> normalise_naf("2841z"), normalise_naf("28.41Z"), normalise_naf("28")
    ('28.41Z', '28.41Z', None)
    """
    match = _NAF.match(code.strip().upper())
    return f"{match.group(1)}.{match.group(2)}{match.group(3)}" if match else None


def load_companies_by_siren(session: Session, tenant_id: str) -> dict[str, dict[str, Any]]:
    """The tenant's company profiles keyed by SIREN (the columns importers compare)."""
    stmt = scoped(CompanyProfile, tenant_id, CompanyProfile.siren.is_not(None)).with_only_columns(
        CompanyProfile.company_id,
        CompanyProfile.siren,
        CompanyProfile.siret,
        CompanyProfile.name,
        CompanyProfile.naf_code,
        CompanyProfile.description,
        CompanyProfile.departement,
        CompanyProfile.region,
        CompanyProfile.source,
        CompanyProfile.facets,
    )
    return {row.siren: dict(row._mapping) for row in session.execute(stmt)}


def import_companies(
    session: Session,
    tenant_id: str,
    path: str | Path,
    *,
    encoding: str = "utf-8",
    progress: bool = False,
) -> ImportReport:
    """Upsert company profiles by SIREN from a file with the company schema.

    Args:
        session: an open session; nothing is committed here.
        tenant_id: the tenant (created if missing, after validation succeeds).
        path: a CSV or ``.xlsx`` file.
        encoding: text encoding of a CSV, decoded strictly.
        progress: draw a progress bar (CLI).

    Raises:
        ValidationProblems: missing columns, bad or duplicate SIREN, missing name, bad NAF
            code, unknown département or région — one line per problem with its row;
            nothing is written.
    """
    started = time.perf_counter()
    tenant = validate_tenant_id(tenant_id)
    table = read_table(path, encoding=encoding)
    table.require(REQUIRED_COLUMNS, hint="see the company schema in the README (Imports)")
    report = ImportReport(kind="companies")
    ignored = [c for c in table.columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if ignored:
        report.warnings.append(f"column(s) ignored: {', '.join(ignored)}")

    problems: list[str] = []
    rows_of: dict[str, list[int]] = defaultdict(list)
    parsed: list[dict[str, Any]] = []
    for row in table.rows:
        raw = row.get("siren")
        siren = clean_identifier(raw)
        if not siren:
            problems.append(f"row {row.number}: empty siren")
            continue
        if not is_valid_siren(siren):
            problems.append(
                f"row {row.number}: bad SIREN {raw!r} (9 digits with a valid checksum expected)"
            )
            continue
        rows_of[siren].append(row.number)
        name = row.get("name")
        if not name:
            problems.append(f"row {row.number}: empty name for SIREN {siren}")
        naf = None
        if row.get("naf_code"):
            naf = normalise_naf(row.get("naf_code"))
            if naf is None:
                problems.append(
                    f"row {row.number}: naf_code {row.get('naf_code')!r} is not a NAF code "
                    "like 28.41Z"
                )
        departement, region, place_problem = resolve_place(
            row.get("departement"), row.get("region")
        )
        if place_problem:
            problems.append(f"row {row.number}: {place_problem}")
        facets: dict[str, Any] = {}
        if products := split_list(row.get("products")):
            facets["products"] = products
        if row.get("website"):
            facets["website"] = row.get("website")
        parsed.append(
            {
                "siren": siren,
                "name": name[:300],
                "naf_code": naf,
                "description": row.get("description") or None,
                "departement": departement,
                "region": region,
                "source": (row.get("source") or "")[:40] or None,
                "facets": facets,
            }
        )
    for siren, rows in rows_of.items():
        if len(rows) > 1:
            where = ", ".join(str(r) for r in rows)
            problems.append(f"rows {where}: duplicate SIREN {siren} (each company once)")
    if problems:
        raise ValidationProblems(problems, source=table.source)

    ensure_tenant(session, tenant)
    existing = load_companies_by_siren(session, tenant)
    moment = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for item in progress_iter(parsed, enabled=progress, desc="companies", total=len(parsed)):
        old = existing.get(item["siren"])
        if old is None:
            inserts.append(
                {
                    **item,
                    "tenant_id": tenant,
                    "source": item["source"] or "csv",
                    "flags": [],
                }
            )
            report.created += 1
            continue
        changes = {
            name: item[name]
            for name in _FIELDS
            if item[name] is not None and item[name] != old[name]
        }
        facets = {**(old["facets"] or {}), **item["facets"]}
        if facets != (old["facets"] or {}):
            changes["facets"] = facets
        if not changes:
            report.unchanged += 1
            continue
        updates.append({"company_id": old["company_id"], "updated_at": moment, **changes})
        report.updated += 1
    for batch in chunks(inserts, _BATCH):
        session.execute(insert(CompanyProfile), batch)
    bulk_update(session, CompanyProfile, updates)
    report.duration_s = time.perf_counter() - started
    return report
