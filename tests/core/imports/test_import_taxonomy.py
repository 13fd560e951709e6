"""Taxonomy import: the real sample, upserts, versions, refusals with zero rows written."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from core.demo import SAMPLE_DIR
from core.errors import ValidationProblems
from core.imports.taxonomy import TaxonomyColumns, import_taxonomy, load_nodes_by_code
from core.models import GlossaryNode, Tenant
from core.tenancy import InvalidTenantError, scoped

CPV_HEADER = "code,check_digit,parent_code,level,label_fr,label_en\r\n"


def _sample_rows(name: str) -> list[dict[str, str]]:
    with (SAMPLE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_cpv_sample_builds_the_tree(session, new_tenant) -> None:
    report = import_taxonomy(session, new_tenant, SAMPLE_DIR / "cpv_sample.csv")
    source = _sample_rows("cpv_sample.csv")
    assert report.kind == "taxonomy:cpv"
    assert (report.created, report.updated, report.unchanged) == (len(source), 0, 0)

    nodes = {n.code: n for n in session.scalars(scoped(GlossaryNode, new_tenant))}
    assert set(nodes) == {row["code"] for row in source}
    for row in source:
        node = nodes[row["code"]]
        assert node.labels == {"fr": row["label_fr"], "en": row["label_en"]}
        assert node.level == int(row["level"])
        assert node.extra == {"check_digit": row["check_digit"]}
        assert node.version == 1
        parent = nodes.get(row["parent_code"])
        assert node.parent_id == (parent.node_id if parent else None)
        expected_path = f"{parent.path}/{node.code}" if parent else node.code
        assert node.path == expected_path
        assert node.provenance["label:fr"]["source"] == "imported"
    assert nodes["42000000"].node_type == "division"
    assert nodes["42100000"].node_type == "group"
    assert nodes["42110000"].node_type == "class"
    assert nodes["42111000"].node_type == "category"
    assert nodes["42111100"].node_type == "level-5"


def test_naf_sample_is_recognised_with_its_levels(session, new_tenant) -> None:
    report = import_taxonomy(session, new_tenant, SAMPLE_DIR / "naf_sample.csv")
    assert report.kind == "taxonomy:naf"
    nodes = load_nodes_by_code(session, new_tenant, "naf")
    assert nodes["C"]["node_type"] == "section"
    assert nodes["28"]["node_type"] == "division"
    assert nodes["28.41Z"]["node_type"] == "subclass"
    assert nodes["28.41Z"]["path"] == "C/28/28.4/28.41/28.41Z"
    # France-only subclasses have no English label: the label map simply lacks "en".
    french_only = [n for n in nodes.values() if "en" not in n["labels"]]
    rows = _sample_rows("naf_sample.csv")
    assert len(french_only) == sum(1 for row in rows if not row["label_en"])


def test_reimport_is_idempotent(session, new_tenant) -> None:
    import_taxonomy(session, new_tenant, SAMPLE_DIR / "cpv_sample.csv")
    before = {
        n.code: (n.version, n.content_hash)
        for n in session.scalars(scoped(GlossaryNode, new_tenant))
    }
    again = import_taxonomy(session, new_tenant, SAMPLE_DIR / "cpv_sample.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(before))
    session.expire_all()
    after = {
        n.code: (n.version, n.content_hash)
        for n in session.scalars(scoped(GlossaryNode, new_tenant))
    }
    assert after == before


def test_changed_label_bumps_version_and_provenance(session, new_tenant, sample_copy) -> None:
    import_taxonomy(session, new_tenant, SAMPLE_DIR / "cpv_sample.csv")
    first = load_nodes_by_code(session, new_tenant, "cpv")
    path = sample_copy("cpv_sample.csv")
    text = path.read_text(encoding="utf-8")
    assert ",Pompes,Pumps" in text
    path.write_text(text.replace(",Pompes,Pumps", ",Pompes industrielles,Pumps"), encoding="utf-8")

    report = import_taxonomy(session, new_tenant, path)
    assert (report.created, report.updated) == (0, 1)
    assert report.unchanged == len(first) - 1
    session.expire_all()
    second = load_nodes_by_code(session, new_tenant, "cpv")
    pumps = second["42122000"]
    assert pumps["labels"]["fr"] == "Pompes industrielles"
    assert pumps["version"] == first["42122000"]["version"] + 1
    assert (
        pumps["provenance"]["label:fr"]["hash"]
        != first["42122000"]["provenance"]["label:fr"]["hash"]
    )
    assert pumps["provenance"]["label:en"] == first["42122000"]["provenance"]["label:en"]
    untouched = [c for c in first if c != "42122000"]
    assert all(second[c]["version"] == first[c]["version"] for c in untouched)


def test_curators_label_survives_a_reimport(session, new_tenant, sample_copy) -> None:
    import_taxonomy(session, new_tenant, SAMPLE_DIR / "cpv_sample.csv")
    node = session.scalars(scoped(GlossaryNode, new_tenant, GlossaryNode.code == "42122000")).one()
    node.labels = {**node.labels, "fr": "Pompes (toutes)"}
    node.provenance = {**node.provenance, "label:fr": {"source": "human", "at": "x"}}
    session.flush()
    path = sample_copy("cpv_sample.csv")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",Pompes,Pumps", ",Pompes,Pumps of all kinds"), "utf-8")

    report = import_taxonomy(session, new_tenant, path)
    assert report.updated == 1
    assert any("curator" in w and "42122000" in w for w in report.warnings)
    session.refresh(node)
    assert node.labels == {"fr": "Pompes (toutes)", "en": "Pumps of all kinds"}
    assert node.provenance["label:fr"]["source"] == "human"


def test_moving_a_node_repaths_its_branch(session, new_tenant, write_file) -> None:
    tree = CPV_HEADER + (
        "42000000,6,,1,Machines,Machinery\r\n"
        "42100000,0,42000000,2,Puissance,Power\r\n"
        "42200000,8,42000000,2,Aliments,Food\r\n"
        "42110000,3,42100000,3,Turbines,Turbines\r\n"
        "42111000,0,42110000,4,Moteurs,Motors\r\n"
    )
    import_taxonomy(session, new_tenant, write_file("tree.csv", tree))
    moved = tree.replace("42110000,3,42100000", "42110000,3,42200000")
    # The moved node's child is left out of the second file: its path must still follow.
    moved = moved.replace("42111000,0,42110000,4,Moteurs,Motors\r\n", "")
    report = import_taxonomy(session, new_tenant, write_file("moved.csv", moved))
    assert report.updated == 2
    nodes = load_nodes_by_code(session, new_tenant, "cpv")
    assert nodes["42110000"]["path"] == "42000000/42200000/42110000"
    assert nodes["42110000"]["parent_id"] == nodes["42200000"]["node_id"]
    assert nodes["42111000"]["path"] == "42000000/42200000/42110000/42111000"
    assert nodes["42111000"]["version"] == 2


def test_a_second_file_can_hang_under_imported_nodes(session, new_tenant, write_file) -> None:
    import_taxonomy(session, new_tenant, SAMPLE_DIR / "cpv_sample.csv")
    extra = CPV_HEADER + "42122999,1,42122000,5,Pompes spéciales,Special pumps\r\n"
    report = import_taxonomy(session, new_tenant, write_file("more.csv", extra))
    assert report.created == 1
    assert any("not in this file" in w for w in report.warnings)
    nodes = load_nodes_by_code(session, new_tenant, "cpv")
    assert nodes["42122999"]["parent_id"] == nodes["42122000"]["node_id"]
    assert nodes["42122999"]["path"] == nodes["42122000"]["path"] + "/42122999"


def test_custom_columns_and_taxonomy_name(session, new_tenant, write_file) -> None:
    text = (
        "Ref;Mère;Libellé;Label;Définition\r\n"
        "USI;;Usinage;Machining;Enlèvement de matière\r\n"
        "USI-TI;USI;Usinage du titane;Titanium machining;\r\n"
    )
    columns = TaxonomyColumns(
        code="Ref",
        parent="Mère",
        labels={"fr": "Libellé", "en": "Label"},
        descriptions={"fr": "Définition"},
    )
    report = import_taxonomy(
        session, new_tenant, write_file("own.csv", text), taxonomy="savoir", columns=columns
    )
    assert (report.kind, report.created) == ("taxonomy:savoir", 2)
    nodes = load_nodes_by_code(session, new_tenant, "savoir")
    assert nodes["USI-TI"]["path"] == "USI/USI-TI"
    assert nodes["USI-TI"]["level"] == 2
    assert nodes["USI-TI"]["node_type"] == "level-2"
    assert nodes["USI"]["descriptions"] == {"fr": "Enlèvement de matière"}
    assert nodes["USI"]["provenance"]["description:fr"]["source"] == "imported"


def test_xlsx_workbook(session, new_tenant, tmp_path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "parent_code", "label_fr", "label_en"])
    sheet.append(["C", None, "Industrie", "Manufacturing"])
    sheet.append([28, "C", "Machines", "Machinery"])  # a number cell, as Excel stores it
    sheet.append(["28.4", 28, "Machines-outils", "Machine tools"])
    path = tmp_path / "naf.xlsx"
    workbook.save(path)

    report = import_taxonomy(session, new_tenant, path)
    assert (report.kind, report.created) == ("taxonomy:naf", 3)
    nodes = load_nodes_by_code(session, new_tenant, "naf")
    assert nodes["28.4"]["path"] == "C/28/28.4"
    assert nodes["28.4"]["node_type"] == "group"


BAD_FILES = {
    "missing column": (
        CPV_HEADER.replace("code,check", "id,check") + "42000000,6,,1,M,M\r\n",
        None,
        "missing column(s) code; the file has: id, check_digit",
    ),
    "header only": (CPV_HEADER, None, "no data row"),
    "empty code": (
        CPV_HEADER + "42000000,6,,1,Machines,Machinery\r\n,1,,1,X,Y\r\n",
        3,
        "empty code",
    ),
    "duplicate code": (
        CPV_HEADER + "42000000,6,,1,Machines,Machinery\r\n42000000,6,,1,Machines,Machinery\r\n",
        "2, 3",
        "duplicate code 42000000",
    ),
    "unknown parent": (
        CPV_HEADER + "42000000,6,,1,Machines,Machinery\r\n42100000,0,41000000,2,P,P\r\n",
        3,
        "unknown parent 41000000",
    ),
    "cycle": (
        CPV_HEADER
        + "42000000,6,,1,Machines,Machinery\r\n"
        + "42100000,0,42200000,2,A,A\r\n42200000,8,42100000,2,B,B\r\n",
        "3, 4",
        "parent cycle",
    ),
    "self parent": (CPV_HEADER + "42000000,6,42000000,1,M,M\r\n", 2, "its own parent"),
    "no label": (CPV_HEADER + "42000000,6,,1,,\r\n", 2, "has no label"),
    "bad level": (CPV_HEADER + "42000000,6,,un,M,M\r\n", 2, "level 'un'"),
    "ragged row": (CPV_HEADER + "42000000,6,,1,M,M,extra\r\n", 2, "values but the header"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_nothing_is_written(
    case, session, new_tenant, write_file
) -> None:
    content, row, message = BAD_FILES[case]
    path = write_file("bad.csv", content)
    with pytest.raises(ValidationProblems) as caught:
        import_taxonomy(session, new_tenant, path)
    text = str(caught.value)
    assert message in text
    assert "nothing was written" in text
    if row is not None:
        assert f"row{'s' if ',' in str(row) else ''} {row}" in text
    session.flush()
    assert session.get(Tenant, new_tenant) is None
    assert session.scalars(scoped(GlossaryNode, new_tenant)).first() is None


def test_refusal_lists_every_problem_with_rows(session, new_tenant, write_file) -> None:
    content = CPV_HEADER + (
        "42000000,6,,1,Machines,Machinery\r\n"
        "42100000,0,41000000,2,P,P\r\n"
        "42200000,8,42000000,2,,\r\n"
        "42200000,8,42000000,2,B,B\r\n"
    )
    with pytest.raises(ValidationProblems) as caught:
        import_taxonomy(session, new_tenant, write_file("bad.csv", content))
    problems = caught.value.problems
    assert any(p.startswith("row 3:") and "unknown parent" in p for p in problems)
    assert any(p.startswith("row 4:") and "no label" in p for p in problems)
    assert any(p.startswith("rows 4, 5:") and "duplicate" in p for p in problems)


def test_wrong_encoding_names_the_row_and_the_fix(session, new_tenant, write_file) -> None:
    content = (
        CPV_HEADER + "42000000,6,,1,Machines,Machinery\r\n42100000,0,42000000,2,Pièces,Parts\r\n"
    )
    path = write_file("latin.csv", content.encode("latin-1"))
    with pytest.raises(ValidationProblems) as caught:
        import_taxonomy(session, new_tenant, path)
    assert "row 3:" in str(caught.value)
    assert "--encoding latin-1" in str(caught.value)
    assert session.get(Tenant, new_tenant) is None

    report = import_taxonomy(session, new_tenant, path, encoding="latin-1")
    assert report.created == 2
    assert load_nodes_by_code(session, new_tenant, "cpv")["42100000"]["labels"]["fr"] == "Pièces"


def test_bad_tenant_id_is_refused_before_anything(session, write_file) -> None:
    before = session.scalar(select(GlossaryNode.node_id).order_by(GlossaryNode.node_id.desc()))
    with pytest.raises(InvalidTenantError, match="must match"):
        import_taxonomy(session, "demo", SAMPLE_DIR / "cpv_sample.csv")
    after = session.scalar(select(GlossaryNode.node_id).order_by(GlossaryNode.node_id.desc()))
    assert after == before
