"""Market tension page (AppTest) on the real DECP sample: renders, filters, charts, CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "workbench" / "streamlit_app.py"


@pytest.fixture(scope="module")
def market_tenant(engine: object) -> str:
    from tests.conftest import new_tenant_id
    from tests.market_seed import seed_decp_sample

    return seed_decp_sample(new_tenant_id("wbmarket"))


def open_page(tenant: str, role: str = "analyst", lang: str = "fr"):
    """The router signed in as ``role`` on ``tenant``, switched to the market page."""
    from streamlit.testing.v1 import AppTest

    from core.users import Identity

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["ml_user"] = Identity(f"{role}_mt", role, (tenant,))
    at.session_state["ml_tenant"] = tenant
    at.session_state["ml_lang"] = lang
    at.run()
    at.switch_page("app_pages/market_tension.py")
    at.run()
    return at


def problems(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def figure_titles(at) -> list[str]:
    return [
        json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")
    ]


def test_page_shows_real_tension_charts_and_scarcest_concepts(market_tenant: str) -> None:
    at = open_page(market_tenant)

    assert not problems(at)
    assert at.title[0].value == "Tension de marché"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Demandes"] == "132"
    assert any(c.value == "Périodes comparées : 2018-Q4 → 2019-Q1" for c in at.caption)
    titles = figure_titles(at)
    assert len(titles) == 5
    assert any(title.startswith("Quadrant de tension") for title in titles)
    assert any("taxonomie" in title for title in titles)
    table = at.dataframe[0].value
    assert table.iloc[0]["Code"] == "50750000"  # lift maintenance: 10 contracts, 4 suppliers
    assert "OTIS" in table.iloc[0]["Fournisseurs connus"]
    assert any("tiré surtout par" in m.value for m in at.markdown)
    downloads = at.get("download_button")
    assert len(downloads) == 2


def test_filters_and_english(market_tenant: str) -> None:
    at = open_page(market_tenant, lang="en")
    assert at.title[0].value == "Market tension"

    at.selectbox(key="mt_region").select("84").run()
    assert not problems(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Demands"] == "31"  # contracts executed in Auvergne-Rhône-Alpes

    at.selectbox(key="mt_branch").select("42000000").run()
    assert not problems(at)
    codes = at.dataframe[0].value["Code"].tolist()
    assert codes
    assert all(code.startswith("42") for code in codes)

    at.selectbox(key="mt_concept").select_index(1).run()
    assert not problems(at)
    assert any("Demand and supply by period" in title for title in figure_titles(at))


def test_curators_cannot_open_the_market_page(market_tenant: str) -> None:
    from streamlit.testing.v1 import AppTest

    from core.users import Identity

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(market_tenant, role="curator")  # the router does not offer it
    page = APP.parent / "app_pages" / "market_tension.py"
    at = AppTest.from_file(str(page), default_timeout=120)
    at.session_state["ml_user"] = Identity("curator_mt", "curator", (market_tenant,))
    at.session_state["ml_tenant"] = market_tenant
    at.run()  # opened directly, the page checks the role itself
    assert not at.exception
    assert at.error
    assert not at.get("plotly_chart")
