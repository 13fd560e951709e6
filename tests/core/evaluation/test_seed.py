"""Setting up an evaluation tenant: buyer split without leakage, examples, eval-prepare."""

from __future__ import annotations

import csv

from sqlalchemy import func, select
from typer.testing import CliRunner

from core.evaluation.seed import (
    materialised_paths,
    read_contracts,
    read_taxonomy,
    seed_concepts,
    seed_examples,
    split_by_buyer,
)
from core.models import Concept, ConceptExample
from tests.core.evaluation.conftest import SAMPLE


def test_split_by_buyer_never_shares_a_buyer():
    items = read_contracts(SAMPLE / "decp_sample.csv")
    examples, held = split_by_buyer(items)
    assert examples
    assert held
    assert len(examples) + len(held) == len(items)
    assert not {i.group for i in examples} & {i.group for i in held}
    assert split_by_buyer(items) == (examples, held)  # deterministic


def test_seed_concepts_and_examples(session, tenant_id):
    rows = read_taxonomy(SAMPLE / "cpv_sample.csv")
    codes = seed_concepts(session, tenant_id, rows)
    assert len(codes) == len(rows)
    assert seed_concepts(session, tenant_id, rows) == codes  # idempotent
    paths = materialised_paths(rows)
    concept = session.get(Concept, codes[rows[5]["code"]])
    assert concept.path == paths[rows[5]["code"]]
    assert concept.path.startswith("42000000/")
    assert concept.status == "validated"
    assert concept.labels == {"fr": rows[5]["label_fr"], "en": rows[5]["label_en"]}
    items = read_contracts(SAMPLE / "decp_sample.csv")
    expected = len({(i.code, i.text) for i in items if i.code in codes})
    assert expected > 50
    assert seed_examples(session, tenant_id, items, codes) == expected
    assert seed_examples(session, tenant_id, items, codes) == 0  # duplicates ignored
    count = session.scalar(
        select(func.count())
        .select_from(ConceptExample)
        .where(ConceptExample.tenant_id == tenant_id)
    )
    assert count == expected


def test_eval_prepare_builds_a_tenant_and_the_held_out_file(engine, tmp_path):
    from core.cli.main import app
    from tests.conftest import new_tenant_id

    taxonomy = tmp_path / "cpv.csv"
    rows = [r for r in read_taxonomy(SAMPLE / "cpv_sample.csv") if r["code"].startswith("5053")]
    with taxonomy.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "held.csv"
    tenant = new_tenant_id("prep")
    result = CliRunner().invoke(
        app,
        [
            "eval-prepare", "--tenant", tenant, "--taxonomy", str(taxonomy),
            "--contracts", str(SAMPLE / "decp_sample.csv"), "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{len(rows)} concepts" in result.output
    held = list(csv.DictReader(out.open(encoding="utf-8")))
    assert held
    assert set(held[0]) == {"text", "expected_code", "lang"}
    _, expected_held = split_by_buyer(read_contracts(SAMPLE / "decp_sample.csv"))
    assert len(held) == len(expected_held)
