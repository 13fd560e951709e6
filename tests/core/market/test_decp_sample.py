"""Market tension on the real DECP slice shipped in data/sample/ (CPV divisions 42 and 50).

The ``decp_tenant`` fixture (conftest) imports it with the real importers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from core.geo import REGION_NAMES
from core.market.facts import MarketFilters, load_facts
from core.market.indicators import demand_volume, supply_volume
from core.market.regions import UNKNOWN_REGION
from core.market.report import build_report
from core.market.tension import decompose, market_tension
from core.models import Demand
from core.tenancy import scoped


def test_real_sample_gives_tension_with_regions_mapped(session: Session, decp_tenant: str) -> None:
    demands = session.scalars(scoped(Demand, decp_tenant)).all()
    facts = load_facts(session, decp_tenant)

    assert len(demands) == 132
    assert facts.unclassified_demands == 0
    assert facts.demands["demand_id"].nunique() == 132
    regions = set(facts.demands["region"])
    assert regions - {UNKNOWN_REGION} <= set(REGION_NAMES)
    known = (facts.demands["region"] != UNKNOWN_REGION).mean()
    assert known > 0.8  # places of execution are mostly départements: mapped to régions
    assert len(regions) >= 5
    volumes = demand_volume(facts)
    assert volumes["demands"].sum() == 132
    assert (supply_volume(facts)["awarded_suppliers"] > 0).any()

    view = market_tension(session, decp_tenant)
    assert len(view.index) >= 20
    assert view.index["tension_index"].notna().all()
    assert view.index["driver"].notna().all()
    assert {"42000000", "50000000"} <= set(view.by_branch["branch_code"])
    assert (
        view.index["previous_period"].iloc[0],
        view.index["current_period"].iloc[0],
    ) == ("2018-Q4", "2019-Q1")
    parts = decompose(view.index)
    sums = parts.groupby("concept_id")["contribution"].sum()
    by_id = view.index.set_index("concept_id")["tension_index"]
    assert sums.sort_index().tolist() == pytest.approx(by_id.sort_index().tolist())
    assert len(view.by_region) >= 5
    assert view.index["low_confidence"].any()  # a real slice has thin concepts

    repair = load_facts(session, decp_tenant, MarketFilters(branch="50000000"))
    assert set(repair.concepts["code"].str[:2]) == {"50"}


def test_report_opens_offline(session: Session, decp_tenant: str, tmp_path: Path) -> None:
    out = build_report(session, decp_tenant, tmp_path / "sub" / "report.html", region="11")

    text = out.read_text(encoding="utf-8")
    assert out.stat().st_size > 1_000_000  # the plotly.js bundle is inside
    assert "plotly.js v" in text or "Plotly" in text
    assert text.count("window.PlotlyConfig") == 1  # bundle embedded once
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", text)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", text)
    assert "Petits effectifs" in text
    assert "Small samples" in text
    assert "DARES" in text
    assert "région 11" in text
    assert not list(out.parent.glob(".*.tmp"))
