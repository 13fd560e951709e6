"""An evaluation tenant built the way ``eval-prepare`` builds one, on the shipped sample:
CPV division 50 as validated concepts (real labels, real embeddings), half of the buyers'
contracts as examples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLE = REPO_ROOT / "data" / "sample"


@dataclass(frozen=True)
class EvalTenant:
    tenant_id: str
    codes: dict[str, int]
    held_out: list  # LabelledText of the buyers kept out of the examples


@pytest.fixture(scope="session")
def eval_tenant(engine, settings) -> EvalTenant:
    from core.db import session_scope
    from core.evaluation.seed import (
        read_contracts,
        read_taxonomy,
        seed_concepts,
        seed_examples,
        split_by_buyer,
    )
    from core.matching.index import build_index
    from core.matching.store import embed_concepts, embed_examples
    from tests.conftest import new_tenant_id

    tenant = new_tenant_id("eval")
    rows = [r for r in read_taxonomy(SAMPLE / "cpv_sample.csv") if r["code"].startswith("50")]
    examples, held = split_by_buyer(read_contracts(SAMPLE / "decp_sample.csv"))
    with session_scope() as s:
        codes = seed_concepts(s, tenant, rows)
        seed_examples(s, tenant, examples, codes)
        embed_concepts(s, tenant, settings=settings)
        embed_examples(s, tenant, settings=settings)
    with session_scope() as s:
        build_index(s, tenant, settings=settings)
    return EvalTenant(tenant, codes, held)
