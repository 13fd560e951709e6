"""Workbench router: login, sidebar (tenant, language), and the pages the user's role allows.

Run with ``marketlounge serve workbench`` (or ``streamlit run workbench/streamlit_app.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

# ``streamlit run`` executes this file as a script: make the project importable without an
# editable install.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from workbench import auth, i18n, services, ui  # noqa: E402
from workbench.i18n import t  # noqa: E402

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"

# page name → (section, title key, icon)
PAGE_META: dict[str, tuple[str, str, str]] = {
    "curation_queue": ("section_curation", "cq_title", ":material/fact_check:"),
    "glossary": ("section_curation", "gl_title", ":material/account_tree:"),
    "match_explorer": ("section_analysis", "me_title", ":material/manage_search:"),
    "query_log": ("section_analysis", "ql_title", ":material/history:"),
    "market_tension": ("section_analysis", "market_tension", ":material/monitoring:"),
    "builds": ("section_operations", "bd_title", ":material/build:"),
}


def login_page() -> None:
    """The sign-in form (the only page before login)."""
    st.title(t("app_title"))
    st.subheader(t("login_title"))
    st.caption(t("login_intro"))
    with st.form("login", enter_to_submit=True):
        username = st.text_input(t("username"), key="login_username")
        password = st.text_input(t("password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("sign_in"), type="primary")
    if submitted:
        with ui.guarded():
            auth.sign_in(services.authenticate(username, password))
            st.rerun()


def sidebar(user: object) -> None:
    """Who is signed in, the tenant selector, the language switch, sign out."""
    identity = auth.current_user()
    if identity is None:
        return
    with st.sidebar:
        role = t(f"role_{identity.role}")
        st.caption(t("signed_in_as", name=identity.display_name or identity.username, role=role))
        with ui.guarded():
            names = services.tenant_names(identity.tenant_ids)
            if names:
                current = auth.current_tenant()
                options = list(names)
                st.selectbox(
                    t("tenant"),
                    options,
                    index=options.index(current) if current in options else 0,
                    format_func=lambda tid: f"{names[tid]} ({tid})",
                    key=auth.TENANT_KEY,
                )
        if st.button(t("sign_out"), key="sign_out"):
            auth.sign_out()
            st.rerun()


def language_switch() -> None:
    """FR/EN radio, French by default, kept across pages."""
    st.session_state.setdefault(i18n.LANG_KEY, i18n.DEFAULT_LANG)
    with st.sidebar:
        st.radio(
            t("language"),
            i18n.LANGS,
            format_func=lambda code: {"fr": "Français", "en": "English"}[code],
            horizontal=True,
            key=i18n.LANG_KEY,
        )


def pages_for(role: str) -> dict[str, list[st.Page]]:
    """The pages of ``role`` by section, skipping page files that are not there yet."""
    sections: dict[str, list[st.Page]] = {}
    for name, (section, title, icon) in PAGE_META.items():
        path = PAGES_DIR / f"{name}.py"
        if not auth.can_open(role, name) or not path.is_file():
            continue
        page = st.Page(f"app_pages/{name}.py", title=t(title), icon=icon, url_path=name)
        sections.setdefault(t(section), []).append(page)
    return sections


def main() -> None:
    """Route: login first, then the role's pages."""
    st.set_page_config(page_title="MarketLounge Workbench", page_icon="🧭", layout="wide")
    language_switch()
    user = auth.current_user()
    if user is None:
        navigation = st.navigation([st.Page(login_page, title=t("login_title"), url_path="login")])
    else:
        sidebar(user)
        navigation = st.navigation(pages_for(user.role))
    navigation.run()


main()
