"""Company import: the real sample, upsert by SIREN, and refusals with zero rows written."""

from __future__ import annotations

import csv

import pytest

from core.demo import SAMPLE_DIR
from core.errors import ValidationProblems
from core.imports.companies import import_companies, load_companies_by_siren
from core.models import CompanyProfile, Tenant
from core.siren import is_valid_siren
from core.tenancy import scoped

HEADER = "siren,name,naf_code,description,products,departement,region,website,source\r\n"
# Real SIRENs (Danone, TotalEnergies) so the checksum is a true one.
DANONE, TOTAL = "552032534", "542051180"


def test_sample_companies(session, new_tenant) -> None:
    with (SAMPLE_DIR / "companies_sample.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    report = import_companies(session, new_tenant, SAMPLE_DIR / "companies_sample.csv")
    assert (report.created, report.updated, report.unchanged) == (len(rows), 0, 0)
    stored = load_companies_by_siren(session, new_tenant)
    assert set(stored) == {row["siren"] for row in rows}
    assert all(is_valid_siren(siren) for siren in stored)
    assert {c["name"] for c in stored.values()} == {row["name"] for row in rows}
    assert {c["source"] for c in stored.values()} == {"decp"}

    again = import_companies(session, new_tenant, SAMPLE_DIR / "companies_sample.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))


def test_all_columns_and_upsert(session, new_tenant, write_file) -> None:
    first = HEADER + (
        f"{DANONE},Danone,1051A,Produits laitiers,yaourts | eaux,75,,danone.com,\r\n"
        f"{TOTAL},TotalEnergies,,,,,,,annuaire\r\n"
    )
    report = import_companies(session, new_tenant, write_file("c.csv", first))
    assert report.created == 2
    danone = session.scalars(
        scoped(CompanyProfile, new_tenant, CompanyProfile.siren == DANONE)
    ).one()
    assert danone.naf_code == "10.51A"
    assert (danone.departement, danone.region) == ("75", "11")
    assert danone.facets == {"products": ["yaourts", "eaux"], "website": "danone.com"}
    assert danone.source == "csv"

    # A thin second file: a new name, an empty description (kept), a new product list.
    second = HEADER + f"{DANONE},Danone SA,,,yaourts,,,,\r\n"
    report = import_companies(session, new_tenant, write_file("c2.csv", second))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    session.refresh(danone)
    assert danone.name == "Danone SA"
    assert danone.description == "Produits laitiers"
    assert danone.naf_code == "10.51A"
    assert danone.facets == {"products": ["yaourts"], "website": "danone.com"}


BAD = {
    "bad siren": (HEADER + "552032535,Danone,,,,,,,\r\n", "row 2: bad SIREN '552032535'"),
    "short siren": (HEADER + "55203253,Danone,,,,,,,\r\n", "row 2: bad SIREN"),
    "missing name": (HEADER + f"{DANONE},,,,,,,,\r\n", "row 2: empty name"),
    "duplicate siren": (
        HEADER + f"{DANONE},Danone,,,,,,,\r\n{TOTAL},Total,,,,,,,\r\n{DANONE},Danone,,,,,,,\r\n",
        "rows 2, 4: duplicate SIREN 552032534",
    ),
    "missing column": ("siren,nom\r\n552032534,Danone\r\n", "missing column(s) name"),
    "bad naf": (HEADER + f"{DANONE},Danone,laiterie,,,,,,\r\n", "row 2: naf_code 'laiterie'"),
    "bad departement": (HEADER + f"{DANONE},Danone,,,,99,,,\r\n", "unknown département '99'"),
    "bad region": (HEADER + f"{DANONE},Danone,,,,,10,,\r\n", "unknown région '10'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_company_files_write_nothing(case, session, new_tenant, write_file) -> None:
    content, message = BAD[case]
    with pytest.raises(ValidationProblems, match="nothing was written") as caught:
        import_companies(session, new_tenant, write_file("bad.csv", content))
    assert message in str(caught.value)
    session.flush()
    assert session.get(Tenant, new_tenant) is None
    assert session.scalars(scoped(CompanyProfile, new_tenant)).first() is None


def test_one_bad_row_blocks_the_good_ones(session, tenant_id, write_file, rows_of) -> None:
    content = HEADER + f"{DANONE},Danone,,,,,,,\r\n123456789,Nope,,,,,,,\r\n"
    before = rows_of(tenant_id)
    with pytest.raises(ValidationProblems, match="row 3: bad SIREN"):
        import_companies(session, tenant_id, write_file("bad.csv", content))
    session.flush()
    assert session.scalars(scoped(CompanyProfile, tenant_id)).first() is None
    assert rows_of(tenant_id) == before
