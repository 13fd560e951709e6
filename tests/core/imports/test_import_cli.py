"""The import commands: a summary on success, one ``error:`` block and exit ≠ 0 on bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from core.cli.main import app
from core.demo import SAMPLE_DIR

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_import_taxonomy_command(new_tenant, rows_of) -> None:
    result = _run("import-taxonomy", str(SAMPLE_DIR / "naf_sample.csv"), "--tenant", new_tenant)
    assert result.exit_code == 0, result.output
    assert "taxonomy:naf: 75 created" in result.stdout
    assert rows_of(new_tenant) == {"glossary_nodes": 75}
    again = _run("import-taxonomy", str(SAMPLE_DIR / "naf_sample.csv"), "-t", new_tenant)
    assert "0 created, 0 updated, 75 unchanged" in again.stdout


def test_import_taxonomy_with_mapped_columns(new_tenant, tmp_path, rows_of) -> None:
    path = tmp_path / "own.csv"
    path.write_text("ref;mere;libelle\nA;;Usinage\nA1;A;Tournage\n", encoding="utf-8")
    result = _run(
        "import-taxonomy",
        str(path),
        "--tenant",
        new_tenant,
        "--taxonomy",
        "savoir",
        "--code-col",
        "ref",
        "--parent-col",
        "mere",
        "--label-col",
        "fr=libelle",
    )
    assert result.exit_code == 0, result.output
    assert "taxonomy:savoir: 2 created" in result.stdout
    assert rows_of(new_tenant) == {"glossary_nodes": 2}


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--tenant", "demo"], "invalid tenant id 'demo'", 2),
        (["--tenant", "tenant_ok", "--label-col", "fr"], "write LANG=COLUMN", 2),
    ],
)
def test_import_taxonomy_refuses_bad_options(args, message, code) -> None:
    result = _run("import-taxonomy", str(SAMPLE_DIR / "naf_sample.csv"), *args)
    assert result.exit_code == code
    assert result.stderr.startswith("error:")
    assert message in result.stderr


def test_bad_file_gives_an_error_block_and_writes_nothing(new_tenant, tmp_path, rows_of) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,parent_code,label_fr\nA,,Usinage\nA1,B,Tournage\nA1,A,Fraisage\n", encoding="utf-8"
    )
    result = _run("import-taxonomy", str(path), "--tenant", new_tenant)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: bad.csv: 2 problem(s), nothing was written")
    assert any("row 3: unknown parent B" in line for line in lines)
    assert any("rows 3, 4: duplicate code A1" in line for line in lines)
    assert rows_of(new_tenant) == {}


def test_missing_file_is_a_clear_error(new_tenant, tmp_path) -> None:
    result = _run("import-companies", str(tmp_path / "nope.csv"), "--tenant", new_tenant)
    assert result.exit_code == 3
    assert "error: file not found" in result.stderr


def test_import_companies_and_market_commands(new_tenant, rows_of) -> None:
    result = _run(
        "import-companies", str(SAMPLE_DIR / "companies_sample.csv"), "--tenant", new_tenant
    )
    assert result.exit_code == 0, result.output
    assert "companies: 116 created" in result.stdout
    result = _run("import-market", str(SAMPLE_DIR / "decp_sample.csv"), "--tenant", new_tenant)
    assert result.exit_code == 0, result.output
    assert "demands:decp: 132 created" in result.stdout
    assert "warning:" in result.stderr  # the sample's bad supplier id is reported
    assert rows_of(new_tenant) == {"company_profiles": 116, "demands": 132}


def test_import_market_refuses_a_bad_kind_and_bad_rows(new_tenant, tmp_path, rows_of) -> None:
    result = _run(
        "import-market", str(SAMPLE_DIR / "decp_sample.csv"), "-t", new_tenant, "--kind", "x"
    )
    assert result.exit_code == 2
    assert "error: --kind 'x'" in result.stderr
    path = tmp_path / "m.csv"
    path.write_text("kind,external_ref,text,published_on\ndemand,d1,Pompes,hier\n", "utf-8")
    result = _run("import-market", str(path), "-t", new_tenant)
    assert result.exit_code == 2
    assert "row 2: published_on: bad date 'hier'" in result.stderr
    assert rows_of(new_tenant) == {}
