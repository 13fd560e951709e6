"""The DECP contracts file, as published: each contract a demand, each winner a company.

Real open data has flaws that must not stop an import: a supplier id that is a foreign VAT
number or a typo, a missing date or amount, an unknown place. Those become warnings in the
report (the contract is still imported); only structural problems (missing columns, empty or
duplicate contract ids, empty objects) refuse the file.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.errors import ValidationProblems
from core.geo import departement_of, region_of
from core.imports.companies import load_companies_by_siren
from core.imports.market_items import upsert_items
from core.imports.progress import bulk_update, chunks
from core.imports.reader import Row, Table
from core.imports.report import ImportReport
from core.imports.values import parse_date, parse_number
from core.models import CompanyProfile, Demand
from core.siren import clean_identifier, is_valid_siren, siren_from_siret
from core.tenancy import ensure_tenant, scoped

DECP_SIGNATURE = ("contract_id", "objet", "cpv_code", "supplier_ids")
"""Columns that identify a DECP contracts file (the others are optional)."""
DECP_OPTIONAL = (
    "source",
    "nature",
    "notification_date",
    "amount_eur",
    "place_code",
    "place_code_type",
    "buyer_siret",
    "buyer_name",
    "supplier_id_types",
    "supplier_names",
)
SIRET_TYPES = ("", "siret", "siren")
_CPV_WITH_CHECK = re.compile(r"^(\d{8})-\d$")


def is_decp(columns: list[str]) -> bool:
    """True when the header is the DECP contracts file's.

    >>> is_decp(["contract_id", "source", "objet", "cpv_code", "supplier_ids"])
    True
    >>> is_decp(["kind", "external_ref", "text"])
    False
    """
    return all(name in columns for name in DECP_SIGNATURE)


@dataclass
class Supplier:
    """A winning company found in the file."""

    siren: str
    siret: str | None
    name: str
    rows: list[int] = field(default_factory=list)


def supplier_siren(raw: str, id_type: str) -> tuple[str | None, str | None, str | None]:
    """``(siren, siret, reason)`` of one supplier id; ``reason`` says why it was refused.

    >>> supplier_siren(" 802 684 969 000 16 ", "SIRET")[:2]
    ('802684969', '80268496900016')
    >>> supplier_siren("433900834", "SIRET")
    ('433900834', None, None)
    >>> supplier_siren("FR54775684764", "TVA_INTRACOMMUNAUTAIRE")[2]
    'not a SIRET (type TVA_INTRACOMMUNAUTAIRE)'
    >>> supplier_siren("1085034200026", "SIRET")[2]
    'not a SIRET (13 digits)'
    """
    if id_type.strip().lower() not in SIRET_TYPES:
        return None, None, f"not a SIRET (type {id_type.strip()})"
    digits = clean_identifier(raw)
    if not digits.isdigit():
        return None, None, "not a SIRET (not all digits)"
    if len(digits) == 14:
        siren = siren_from_siret(digits)
        if siren is None:
            return None, None, "not a valid SIRET (its SIREN checksum fails)"
        return siren, digits, None
    if len(digits) == 9:
        if is_valid_siren(digits):
            return digits, None, None
        return None, None, "not a valid SIREN (checksum fails)"
    return None, None, f"not a SIRET ({len(digits)} digits)"


def _cpv(raw: str) -> str | None:
    """The CPV code without its check digit (``42000000-6`` → ``42000000``).

    >>> _cpv("42000000-6"), _cpv("50000000"), _cpv("")
    ('42000000', '50000000', None)
    """
    raw = raw.strip()
    if match := _CPV_WITH_CHECK.match(raw):
        return match.group(1)
    return raw[:64] or None


def _parse_contract(
    row: Row, suppliers: dict[str, Supplier], warnings: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """A demand dict for one contract and the SIRENs of its winners (in file order)."""
    where = f"row {row.number} (contract {row.get('contract_id')})"
    try:
        published = parse_date(row.get("notification_date"))
    except ValueError as exc:
        warnings.append(f"{where}: {exc}; notification date left empty")
        published = None
    try:
        amount = parse_number(row.get("amount_eur"))
    except ValueError as exc:
        warnings.append(f"{where}: {exc}; amount left empty")
        amount = None
    place, place_type = row.get("place_code"), row.get("place_code_type")
    buyer_siret = clean_identifier(row.get("buyer_siret")) or None
    if buyer_siret and (len(buyer_siret) > 14 or not buyer_siret.isdigit()):
        warnings.append(f"{where}: buyer SIRET {row.get('buyer_siret')!r} left empty")
        buyer_siret = None
    ids = row.get("supplier_ids").split("|") if row.get("supplier_ids") else []
    types = row.get("supplier_id_types").split("|")
    names = row.get("supplier_names").split("|")
    winners: list[str] = []
    for position, raw in enumerate(ids):
        if not raw.strip():
            continue
        id_type = types[position] if position < len(types) else ""
        siren, siret, reason = supplier_siren(raw, id_type)
        if siren is None:
            warnings.append(f"{where}: supplier id {raw.strip()!r} skipped: {reason}")
            continue
        name = (names[position].strip() if position < len(names) else "") or siren
        supplier = suppliers.setdefault(siren, Supplier(siren, siret, name[:300]))
        supplier.siret = supplier.siret or siret
        supplier.rows.append(row.number)
        if siren not in winners:
            winners.append(siren)
    demand = {
        "external_ref": row.get("contract_id"),
        "text": row.get("objet"),
        "concept_code": _cpv(row.get("cpv_code")),
        "company_id": None,
        "quantity": None,
        "amount_eur": amount,
        "region": region_of(place, place_type),
        "departement": departement_of(place, place_type),
        "published_on": published,
        "starts_on": None,
        "ends_on": None,
        "status": "closed",
        "source": "decp",
        "buyer_name": row.get("buyer_name")[:300] or None,
        "buyer_siret": buyer_siret,
        "extra": {
            "nature": row.get("nature"),
            "source": row.get("source"),
            "place_code": place,
            "place_code_type": place_type,
        },
    }
    if place and demand["region"] is None and place_type.lower() not in ("code pays",):
        warnings.append(f"{where}: place {place!r} ({place_type or 'no type'}) has no région")
    return demand, winners


def _validate(table: Table) -> None:
    """Structural problems refuse the file: empty or duplicate ids, empty objects."""
    problems: list[str] = []
    rows_of: dict[str, list[int]] = defaultdict(list)
    for row in table.rows:
        ref = row.get("contract_id")
        if not ref:
            problems.append(f"row {row.number}: empty contract_id")
        elif len(ref) > 100:
            problems.append(f"row {row.number}: contract_id longer than 100 characters")
        else:
            rows_of[ref].append(row.number)
        if not row.get("objet"):
            problems.append(f"row {row.number}: empty objet (the text of the need)")
    for ref, rows in rows_of.items():
        if len(rows) > 1:
            where = ", ".join(str(r) for r in rows)
            problems.append(f"rows {where}: duplicate contract_id {ref}")
    if problems:
        raise ValidationProblems(problems, source=table.source)


def _upsert_suppliers(
    session: Session, tenant_id: str, suppliers: dict[str, Supplier]
) -> tuple[dict[str, int], set[int], set[int]]:
    """Create missing companies, fill an empty SIRET or name.

    Returns:
        SIREN → company_id, the ids created, the ids of existing companies changed.
    """
    existing = load_companies_by_siren(session, tenant_id)
    moment = datetime.now(UTC)
    new: list[dict[str, Any]] = [
        {
            "tenant_id": tenant_id,
            "siren": s.siren,
            "siret": s.siret,
            "name": s.name,
            "source": "decp",
            "facets": {},
            "flags": [],
        }
        for s in suppliers.values()
        if s.siren not in existing
    ]
    fills: list[dict[str, Any]] = []
    for supplier in suppliers.values():
        old = existing.get(supplier.siren)
        if old is not None:
            changes: dict[str, Any] = {}
            if supplier.siret and not old["siret"]:
                changes["siret"] = supplier.siret
            if not old["name"]:
                changes["name"] = supplier.name
            if changes:
                fills.append({"company_id": old["company_id"], "updated_at": moment, **changes})
    ids = {siren: old["company_id"] for siren, old in existing.items()}
    for batch in chunks(new, 2000):
        returned = session.execute(
            insert(CompanyProfile).returning(CompanyProfile.company_id, CompanyProfile.siren),
            batch,
        )
        ids.update({siren: company_id for company_id, siren in returned})
    bulk_update(session, CompanyProfile, fills)
    created = {ids[row["siren"]] for row in new}
    return ids, created, {row["company_id"] for row in fills}


def _count_won_contracts(session: Session, tenant_id: str, company_ids: set[int]) -> set[int]:
    """Set ``facets["won_contracts"]`` of these companies from all the tenant's demands.

    Counted from the database, not the file, so importing a second contracts file adds up
    and re-importing one changes nothing. Returns the ids of the companies changed.
    """
    won: Counter[int] = Counter()
    awarded = scoped(Demand, tenant_id).with_only_columns(Demand.awarded_company_ids)
    for (company_list,) in session.execute(awarded):
        won.update(set(company_list or []))
    facets_stmt = scoped(
        CompanyProfile, tenant_id, CompanyProfile.company_id.in_(sorted(company_ids))
    ).with_only_columns(CompanyProfile.company_id, CompanyProfile.facets)
    moment = datetime.now(UTC)
    changes = []
    for company_id, facets in session.execute(facets_stmt):
        facets = dict(facets or {})
        if facets.get("won_contracts") != won[company_id]:
            facets["won_contracts"] = won[company_id]
            changes.append({"company_id": company_id, "facets": facets, "updated_at": moment})
    bulk_update(session, CompanyProfile, changes)
    return {change["company_id"] for change in changes}


def import_decp(
    session: Session, tenant_id: str, table: Table, *, progress: bool = False
) -> ImportReport:
    """Import a parsed DECP contracts table (see :func:`core.imports.market.import_market`)."""
    _validate(table)
    report = ImportReport(kind="demands:decp")
    suppliers: dict[str, Supplier] = {}
    parsed = [_parse_contract(row, suppliers, report.warnings) for row in table.rows]
    ensure_tenant(session, tenant_id)
    company_ids, created, filled = _upsert_suppliers(session, tenant_id, suppliers)
    demands = [
        {**demand, "awarded_company_ids": [company_ids[siren] for siren in winners]}
        for demand, winners in parsed
    ]
    upsert_items(session, tenant_id, Demand, demands, report, progress=progress)
    session.flush()
    touched = {company_ids[siren] for siren in suppliers}
    changed = _count_won_contracts(session, tenant_id, touched)
    report.details["companies created"] = len(created)
    report.details["companies updated"] = len((filled | changed) - created)
    skipped_ids = sum("supplier id" in w for w in report.warnings)
    if skipped_ids:
        report.details["supplier ids skipped"] = skipped_ids
    return report
