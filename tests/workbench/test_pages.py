"""Every page renders for every role allowed to open it; roles and login are enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.auth import PAGE_ROLES, can_open

APP = Path(__file__).resolve().parents[2] / "workbench" / "streamlit_app.py"
PAGES = ("curation_queue", "glossary", "match_explorer", "query_log", "builds")

ROLES = ("curator", "analyst", "admin")
TITLES = {
    "curation_queue": ("File de curation", "Curation queue"),
    "glossary": ("Glossaire", "Glossary"),
    "match_explorer": ("Explorateur de correspondances", "Match explorer"),
    "query_log": ("Journal des requêtes", "Query log"),
    "builds": ("Builds", "Builds"),
}


def _problems(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


@pytest.mark.parametrize("role", ROLES)
def test_each_allowed_page_renders_without_problem(shared_wb, role) -> None:
    at = shared_wb.app(role)
    assert not _problems(at)
    for page in PAGES:
        if not can_open(role, page):
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"app_pages/{page}.py")
            continue
        at.switch_page(f"app_pages/{page}.py")
        at.run()
        assert not _problems(at), (role, page, _problems(at))
        assert at.title[0].value == TITLES[page][0]


def test_role_rules_match_the_brief() -> None:
    assert {p for p in PAGES if can_open("curator", p)} == {
        "curation_queue", "glossary", "match_explorer", "builds"
    }  # fmt: skip
    assert {p for p in PAGES if can_open("analyst", p)} == {
        "glossary", "match_explorer", "query_log", "builds"
    }  # fmt: skip
    assert all(can_open("admin", p) for p in PAGE_ROLES)


@pytest.mark.parametrize(
    ("role", "page"), [("analyst", "curation_queue"), ("curator", "query_log")]
)
def test_a_page_opened_directly_still_checks_the_role(shared_wb, role, page) -> None:
    from streamlit.testing.v1 import AppTest

    from core.users import Identity

    at = AppTest.from_file(str(APP.parent / "app_pages" / f"{page}.py"), default_timeout=60)
    at.session_state["ml_user"] = Identity("x", role, (shared_wb.seed.tenant_id,))
    at.session_state["ml_tenant"] = shared_wb.seed.tenant_id
    at.run()
    assert not at.exception
    assert "réservée" in at.error[0].value
    assert not at.title  # the body never ran


def test_a_tenant_outside_the_users_list_is_refused(shared_wb) -> None:
    from streamlit.testing.v1 import AppTest

    from core.users import Identity

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["ml_user"] = Identity("x", "curator", ("tenant_someone_else",))
    at.session_state["ml_tenant"] = shared_wb.seed.tenant_id  # not in the user's list
    at.run()
    assert not at.exception
    assert any("aucun tenant" in e.value for e in at.error)
    assert not at.title


def test_english_ui(shared_wb) -> None:
    at = shared_wb.app("analyst", "query_log", lang="en")
    assert at.title[0].value == "Query log"
    assert not _problems(at)


def test_login_with_the_database(shared_wb, engine) -> None:
    import uuid

    from streamlit.testing.v1 import AppTest

    from core.db import session_scope
    from core.users import create_user

    name = f"login_{uuid.uuid4().hex[:6]}"
    with session_scope() as s:
        create_user(s, name, "bonjour-2024", role="analyst", tenant_ids=[shared_wb.seed.tenant_id])
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert at.subheader[0].value == "Connexion"
    at.text_input(key="login_username").input(name)
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    assert "incorrect" in at.error[0].value
    assert "ml_user" not in at.session_state
    at.text_input(key="login_password").input("bonjour-2024")
    at.button[0].click().run()
    assert not _problems(at)
    assert at.session_state["ml_user"].role == "analyst"
    assert at.session_state["ml_tenant"] == shared_wb.seed.tenant_id
    assert at.selectbox(key="ml_tenant").value == shared_wb.seed.tenant_id
    at.button(key="sign_out").click().run()
    assert "ml_user" not in at.session_state
    assert at.subheader[0].value == "Connexion"


def test_pages_never_show_a_traceback_when_the_database_is_down(shared_wb, monkeypatch) -> None:
    at = shared_wb.app("curator")
    from sqlalchemy.exc import OperationalError

    from workbench import services

    def down(*args, **kwargs):
        raise OperationalError("select 1", {}, Exception("connection refused"))

    services.st.cache_data.clear()
    monkeypatch.setattr(services, "_session", down)
    at.switch_page("app_pages/curation_queue.py")
    at.run()
    assert not at.exception
    assert any("marketlounge init" in e.value for e in at.error)


def test_workbench_doctests() -> None:
    import doctest

    from workbench import auth, charts, i18n, ui

    for module in (auth, charts, i18n, ui):
        failures, _ = doctest.testmod(module)
        assert failures == 0, module.__name__


def test_app_file_is_a_router_only() -> None:
    source = Path(APP).read_text()
    assert "st.navigation(" in source
    assert "core." not in source
