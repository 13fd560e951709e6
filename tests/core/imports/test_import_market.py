"""Market import: the real DECP sample (demands, suppliers, régions) and the generic schema."""

from __future__ import annotations

import csv
import uuid
from datetime import date

import pytest

from core.demo import SAMPLE_DIR
from core.errors import UserError, ValidationProblems
from core.imports.companies import import_companies, load_companies_by_siren
from core.imports.market import import_market
from core.imports.market_items import load_items_by_ref
from core.models import CompanyProfile, Concept, Demand, Offer, Tenant
from core.siren import siren_from_siret
from core.tenancy import scoped

DECP = SAMPLE_DIR / "decp_sample.csv"
DANONE, TOTAL = "552032534", "542051180"
GENERIC = (
    "kind,external_ref,text,concept_code,siren,quantity,amount_eur,departement,region,"
    "published_on,starts_on,ends_on,status\r\n"
)


def _contracts() -> dict[str, dict[str, str]]:
    with DECP.open(encoding="utf-8", newline="") as handle:
        return {row["contract_id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def decp_tenant(engine) -> tuple[str, object]:
    """One tenant with the DECP sample imported once (read-only for the tests below)."""
    from core.db import session_scope

    tenant = f"tenant_decp_{uuid.uuid4().hex[:10]}"
    with session_scope() as session:
        report = import_market(session, tenant, DECP)
    return tenant, report


def test_decp_contracts_become_demands(session, decp_tenant) -> None:
    tenant, report = decp_tenant
    contracts = _contracts()
    assert report.kind == "demands:decp"
    assert (report.created, report.updated, report.unchanged) == (len(contracts), 0, 0)
    demands = {d.external_ref: d for d in session.scalars(scoped(Demand, tenant))}
    assert set(demands) == set(contracts)
    for ref, row in contracts.items():
        demand = demands[ref]
        assert demand.text == row["objet"].strip()  # cells are read stripped
        assert demand.concept_code == row["cpv_code"]
        assert demand.source == "decp"
        assert demand.extra["place_code"] == row["place_code"]
        assert demand.extra["nature"] == row["nature"]
        assert demand.buyer_name == (row["buyer_name"].strip() or None)
        if row["amount_eur"]:
            assert demand.amount_eur == pytest.approx(float(row["amount_eur"]))
        if row["notification_date"]:
            assert demand.published_on == date.fromisoformat(row["notification_date"][:10])
        else:
            assert demand.published_on is None


def test_decp_places_map_to_regions(session, decp_tenant) -> None:
    tenant, _ = decp_tenant
    demands = list(session.scalars(scoped(Demand, tenant)))
    by_place = {(d.extra["place_code"], d.extra["place_code_type"]): d for d in demands}
    # Hand-checked against INSEE: Rhône → Auvergne-Rhône-Alpes, Paris → Île-de-France.
    assert by_place[("69", "Code département")].region == "84"
    assert by_place[("75", "Code département")].region == "11"
    assert by_place[("69", "Code département")].departement == "69"
    # Postal codes: Corsica, overseas and a "FR" prefix are the traps.
    expected = {
        "64000": ("64", "75"),
        "20200": ("2B", "94"),
        "97122": ("971", "01"),
        "FR75012": ("75", "11"),
    }
    for code, (departement, region) in expected.items():
        demand = by_place[(code, "Code postal")]
        assert (demand.departement, demand.region) == (departement, region)
    share_mapped = sum(d.region is not None for d in demands) / len(demands)
    assert share_mapped > 0.9


def test_decp_suppliers_become_companies_linked_to_demands(session, decp_tenant) -> None:
    tenant, report = decp_tenant
    contracts = _contracts()
    companies = load_companies_by_siren(session, tenant)
    by_id = {c["company_id"]: siren for siren, c in companies.items()}
    assert report.details["companies created"] == len(companies)
    demands = {d.external_ref: d for d in session.scalars(scoped(Demand, tenant))}
    awarded_total = 0
    for ref, row in contracts.items():
        expected = []
        for raw in row["supplier_ids"].split("|"):
            siren = siren_from_siret(raw)
            if siren and siren not in expected:
                expected.append(siren)
        awarded = [by_id[i] for i in demands[ref].awarded_company_ids]
        assert set(expected) <= set(awarded)
        awarded_total += len(awarded)
    assert awarded_total >= len(contracts) * 0.9
    won = {siren: c["facets"]["won_contracts"] for siren, c in companies.items()}
    counted = dict.fromkeys(companies, 0)
    for demand in demands.values():
        for company_id in set(demand.awarded_company_ids):
            counted[by_id[company_id]] += 1
    assert won == counted
    some = next(iter(companies.values()))
    assert some["source"] == "decp"


def test_decp_bad_supplier_id_is_a_warning_not_a_failure(session, decp_tenant) -> None:
    tenant, report = decp_tenant
    bad = [w for w in report.warnings if "supplier id" in w and "skipped" in w]
    assert bad, "the sample holds one SIRET whose SIREN checksum fails"
    assert report.details["supplier ids skipped"] == len(bad)
    raw = bad[0].split("supplier id '")[1].split("'")[0]
    companies = load_companies_by_siren(session, tenant)
    assert raw[:9] not in companies


def test_decp_reimport_changes_nothing(session, tenant_id) -> None:
    first = import_market(session, tenant_id, DECP)
    before = load_items_by_ref(session, tenant_id, Demand)
    second = import_market(session, tenant_id, DECP)
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
    assert second.details["companies created"] == 0
    assert second.details["companies updated"] == 0
    assert load_items_by_ref(session, tenant_id, Demand) == before


def test_decp_after_companies_reuses_them(session, tenant_id) -> None:
    companies = import_companies(session, tenant_id, SAMPLE_DIR / "companies_sample.csv")
    report = import_market(session, tenant_id, DECP)
    assert report.details["companies created"] == 0
    assert report.details["companies updated"] == companies.created
    stored = load_companies_by_siren(session, tenant_id)
    with_siret = {
        siren_from_siret(raw)
        for row in _contracts().values()
        for raw in row["supplier_ids"].split("|")
        if siren_from_siret(raw)
    }
    assert {s for s, c in stored.items() if c["siret"]} == with_siret  # filled in by DECP
    assert all(c["facets"]["won_contracts"] >= 1 for c in stored.values())


def test_decp_file_is_not_offers(session, tenant_id) -> None:
    with pytest.raises(UserError, match="contracts are demands"):
        import_market(session, tenant_id, DECP, kind="offer")


def test_decp_structural_problems_refuse_the_file(session, new_tenant, write_file) -> None:
    header = DECP.read_text(encoding="utf-8").splitlines()[0]
    line = DECP.read_text(encoding="utf-8").splitlines()[1]
    content = "\r\n".join([header, line, line, ""])
    with pytest.raises(ValidationProblems, match="rows 2, 3: duplicate contract_id"):
        import_market(session, new_tenant, write_file("dup.csv", content))
    session.flush()
    assert session.get(Tenant, new_tenant) is None


def test_generic_offers_and_demands(session, tenant_id, write_file) -> None:
    import_companies(session, tenant_id, write_file("c.csv", f"siren,name\r\n{DANONE},Danone\r\n"))
    session.add(Concept(tenant_id=tenant_id, code="42122000", labels={"fr": "Pompes"}))
    session.flush()
    content = GENERIC + (
        f'offer,o-1,Pompes centrifuges inox,42122000,{DANONE},10,"1 200,50",69,,'
        "2024-01-15,2024-02-01,2024-12-31,open\r\n"
        "demande,d-1,Maintenance de compresseurs,50531300,,,8000,2A,,15/03/2024,,,\r\n"
    )
    report = import_market(session, tenant_id, write_file("m.csv", content))
    assert report.kind == "demands+offers"
    assert (report.created, report.details["offers created"]) == (2, 1)
    offer = session.scalars(scoped(Offer, tenant_id)).one()
    pumps = session.scalars(scoped(Concept, tenant_id)).one()
    company = session.scalars(scoped(CompanyProfile, tenant_id)).one()
    assert offer.company_id == company.company_id
    assert offer.concept_ids == [pumps.concept_id]
    assert (offer.classified_by, offer.classification_confidence) == ("source", 1.0)
    assert (offer.quantity, offer.amount_eur) == (10.0, 1200.5)
    assert (offer.departement, offer.region) == ("69", "84")
    assert (offer.starts_on, offer.ends_on) == (date(2024, 2, 1), date(2024, 12, 31))
    demand = session.scalars(scoped(Demand, tenant_id)).one()
    assert demand.concept_ids == []  # no concept 50531300 yet: left for the classifier
    assert demand.classified_by is None
    assert (demand.region, demand.published_on) == ("94", date(2024, 3, 15))
    assert demand.status == "open"

    # A later classification by the matcher survives a re-import of a changed file.
    demand.concept_ids, demand.classified_by = [pumps.concept_id], "matcher"
    session.flush()
    changed = content.replace("Maintenance de compresseurs", "Entretien de compresseurs")
    again = import_market(session, tenant_id, write_file("m2.csv", changed))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    session.refresh(demand)
    assert demand.text == "Entretien de compresseurs"
    assert (demand.concept_ids, demand.classified_by) == ([pumps.concept_id], "matcher")


def test_kind_option_without_kind_column(session, tenant_id, write_file) -> None:
    content = "external_ref,text\r\nneed-1,Réparation de pompes\r\n"
    with pytest.raises(ValidationProblems, match="missing column"):
        import_market(session, tenant_id, write_file("m.csv", content))
    report = import_market(session, tenant_id, write_file("m.csv", content), kind="demand")
    assert (report.kind, report.created) == ("demands", 1)


BAD = {
    "bad date": (
        "demand,d-1,Pompes,,,,,,,2024-13-01,,,\r\n",
        "row 2: published_on: bad date '2024-13-01'",
    ),
    "bad siren": ("offer,o-1,Pompes,,552032535,,,,,,,,\r\n", "row 2: bad SIREN '552032535'"),
    "unknown company": (
        f"offer,o-1,Pompes,,{TOTAL},,,,,,,,\r\n",
        "row 2: unknown company SIREN 542051180",
    ),
    "duplicate ref": (
        "demand,d-1,Pompes,,,,,,,,,,\r\noffer,d-1,Pompes,,,,,,,,,,\r\n"
        "demand,d-1,Vannes,,,,,,,,,,\r\n",
        "rows 2, 4: duplicate external_ref d-1",
    ),
    "bad kind": ("besoin,d-1,Pompes,,,,,,,,,,\r\n", "row 2: kind 'besoin'"),
    "empty text": ("demand,d-1,,,,,,,,,,,\r\n", "row 2: empty text"),
    "bad number": ("demand,d-1,Pompes,,,beaucoup,,,,,,,\r\n", "row 2: quantity: bad number"),
    "bad status": ("demand,d-1,Pompes,,,,,,,,,,fini\r\n", "row 2: status 'fini'"),
    "ends before start": (
        "demand,d-1,Pompes,,,,,,,,2024-05-01,2024-04-01,\r\n",
        "row 2: ends_on is before starts_on",
    ),
    "bad place": ("demand,d-1,Pompes,,,,,99,,,,,\r\n", "row 2: unknown département '99'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_market_files_write_nothing(case, session, tenant_id, write_file) -> None:
    import_companies(session, tenant_id, write_file("c.csv", f"siren,name\r\n{DANONE},Danone\r\n"))
    body, message = BAD[case]
    with pytest.raises(ValidationProblems, match="nothing was written") as caught:
        import_market(session, tenant_id, write_file("bad.csv", GENERIC + body))
    assert message in str(caught.value)
    session.flush()
    assert session.scalars(scoped(Demand, tenant_id)).first() is None
    assert session.scalars(scoped(Offer, tenant_id)).first() is None
