"""Import market items — offers (supply) and demands (needs) — from a file.

Two formats: the DECP contracts file as published (recognised by its columns, see
:mod:`core.imports.decp`), and a generic schema documented in the README ("Imports"):
``kind``, ``external_ref``, ``text`` (required), ``concept_code``, ``siren``, ``quantity``,
``amount_eur``, ``departement``, ``region``, ``published_on``, ``starts_on``, ``ends_on``,
``status``, ``source``. In the generic file every problem refuses the file.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from core.errors import UserError, ValidationProblems
from core.imports.companies import load_companies_by_siren
from core.imports.decp import import_decp, is_decp
from core.imports.market_items import upsert_items
from core.imports.places import resolve_place
from core.imports.reader import Row, Table, read_table
from core.imports.report import ImportReport
from core.imports.values import parse_date, parse_number
from core.models import Demand, Offer
from core.siren import clean_identifier, is_valid_siren
from core.tenancy import ensure_tenant, validate_tenant_id

MarketKind = Literal["auto", "demand", "offer"]
GENERIC_REQUIRED = ("external_ref", "text")
GENERIC_OPTIONAL = (
    "kind",
    "concept_code",
    "siren",
    "quantity",
    "amount_eur",
    "departement",
    "region",
    "published_on",
    "starts_on",
    "ends_on",
    "status",
    "source",
)
STATUSES = ("open", "closed", "to_classify")
_KIND_WORDS = {"demand": "demand", "demande": "demand", "offer": "offer", "offre": "offer"}


def import_market(
    session: Session,
    tenant_id: str,
    path: str | Path,
    *,
    kind: MarketKind = "auto",
    encoding: str = "utf-8",
    progress: bool = False,
) -> ImportReport:
    """Upsert offers and/or demands by ``(tenant, external_ref)``.

    Args:
        session: an open session; nothing is committed here.
        tenant_id: the tenant (created if missing, after validation succeeds).
        path: a CSV or ``.xlsx`` file: the DECP contracts file, or the generic schema.
        kind: ``auto`` reads each row's ``kind`` column (DECP files are demands);
            ``demand`` / ``offer`` imports every row as that kind.
        encoding: text encoding of a CSV, decoded strictly.
        progress: draw progress bars (CLI).

    Returns:
        The counts; for a file holding both kinds, ``details`` splits them.

    Raises:
        ValidationProblems: missing columns, empty or duplicate refs, bad kinds, dates,
            numbers, SIREN or places, unknown companies — nothing written.
    """
    started = time.perf_counter()
    tenant = validate_tenant_id(tenant_id)
    if kind not in ("auto", "demand", "offer"):
        raise UserError(f"unknown kind {kind!r}: use auto, demand or offer")
    table = read_table(path, encoding=encoding)
    if is_decp(table.columns):
        if kind == "offer":
            raise UserError(
                f"{table.source} is a DECP contracts file: contracts are demands, "
                "use --kind demand or auto"
            )
        report = import_decp(session, tenant, table, progress=progress)
    else:
        report = _import_generic(session, tenant, table, kind=kind, progress=progress)
    report.duration_s = time.perf_counter() - started
    return report


def _row_kind(row: Row, kind: MarketKind, problems: list[str]) -> str | None:
    raw = row.get("kind")
    found = _KIND_WORDS.get(raw.lower()) if raw else None
    if raw and found is None:
        problems.append(f"row {row.number}: kind {raw!r} is not demand or offer")
        return None
    if kind != "auto":
        if found and found != kind:
            problems.append(f"row {row.number}: kind {raw!r} but --kind {kind} was asked")
            return None
        return kind
    if found is None:
        problems.append(f"row {row.number}: empty kind (demand or offer)")
    return found


def _dates(row: Row, problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("published_on", "starts_on", "ends_on"):
        try:
            values[name] = parse_date(row.get(name))
        except ValueError as exc:
            problems.append(f"row {row.number}: {name}: {exc}")
            values[name] = None
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        problems.append(f"row {row.number}: ends_on is before starts_on")
    return values


def _numbers(row: Row, problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("quantity", "amount_eur"):
        try:
            values[name] = parse_number(row.get(name))
        except ValueError as exc:
            problems.append(f"row {row.number}: {name}: {exc}")
            values[name] = None
    return values


def _parse_generic(
    table: Table, kind: MarketKind, companies: dict[str, dict[str, Any]]
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Items by kind, and every problem of the file with its row."""
    problems: list[str] = []
    items: dict[str, list[dict[str, Any]]] = {"demand": [], "offer": []}
    rows_of: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in table.rows:
        item_kind = _row_kind(row, kind, problems)
        ref = row.get("external_ref")
        if not ref:
            problems.append(f"row {row.number}: empty external_ref")
        elif len(ref) > 100:
            problems.append(f"row {row.number}: external_ref longer than 100 characters")
        elif item_kind:
            rows_of[(item_kind, ref)].append(row.number)
        if not row.get("text"):
            problems.append(f"row {row.number}: empty text (what is offered or needed)")
        company_id = None
        if raw_siren := row.get("siren"):
            siren = clean_identifier(raw_siren)
            if not is_valid_siren(siren):
                problems.append(f"row {row.number}: bad SIREN {raw_siren!r}")
            elif siren not in companies:
                problems.append(
                    f"row {row.number}: unknown company SIREN {siren}: import it first "
                    "with import-companies"
                )
            else:
                company_id = companies[siren]["company_id"]
        departement, region, place_problem = resolve_place(
            row.get("departement"), row.get("region")
        )
        if place_problem:
            problems.append(f"row {row.number}: {place_problem}")
        status = row.get("status").lower() or "open"
        if status not in STATUSES:
            problems.append(f"row {row.number}: status {status!r} is not one of {STATUSES}")
        if item_kind is None:
            continue
        items[item_kind].append(
            {
                "external_ref": ref,
                "text": row.get("text"),
                "concept_code": row.get("concept_code")[:64] or None,
                "company_id": company_id,
                **_numbers(row, problems),
                "region": region,
                "departement": departement,
                **_dates(row, problems),
                "status": status,
                "source": (row.get("source") or "csv")[:40],
                "extra": {},
            }
        )
    for (item_kind, ref), rows in rows_of.items():
        if len(rows) > 1:
            where = ", ".join(str(r) for r in rows)
            problems.append(f"rows {where}: duplicate external_ref {ref} ({item_kind}s)")
    return items, problems


def _import_generic(
    session: Session, tenant_id: str, table: Table, *, kind: MarketKind, progress: bool
) -> ImportReport:
    """Validate then upsert a file in the generic market schema."""
    needed = GENERIC_REQUIRED + (("kind",) if kind == "auto" else ())
    table.require(
        needed,
        hint="see the market schema in the README (Imports), or pass --kind demand|offer",
    )
    companies = load_companies_by_siren(session, tenant_id) if "siren" in table.columns else {}
    items, problems = _parse_generic(table, kind, companies)
    if problems:
        raise ValidationProblems(problems, source=table.source)
    kinds = [k for k in ("demand", "offer") if items[k]]
    report = ImportReport(kind="+".join(f"{k}s" for k in kinds) or "market")
    ignored = [c for c in table.columns if c not in GENERIC_REQUIRED + GENERIC_OPTIONAL]
    if ignored:
        report.warnings.append(f"column(s) ignored: {', '.join(ignored)}")
    ensure_tenant(session, tenant_id)
    for item_kind in kinds:
        before = report.created, report.updated, report.unchanged
        model = Demand if item_kind == "demand" else Offer
        upsert_items(session, tenant_id, model, items[item_kind], report, progress=progress)
        if len(kinds) > 1:
            report.details[f"{item_kind}s created"] = report.created - before[0]
            report.details[f"{item_kind}s updated"] = report.updated - before[1]
    return report
