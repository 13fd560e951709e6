"""Login state, role rules per page, and the tenant the user is working on."""

from __future__ import annotations

import streamlit as st

from workbench.services import Identity

USER_KEY = "ml_user"
TENANT_KEY = "ml_tenant"

PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "curation_queue": ("curator", "admin"),
    "glossary": ("curator", "analyst", "admin"),
    "match_explorer": ("curator", "analyst", "admin"),
    "query_log": ("analyst", "admin"),
    "market_tension": ("analyst", "admin"),
    "builds": ("curator", "analyst", "admin"),
}
"""Which roles may open which page (the router shows only these; each page checks again)."""


def can_open(role: str, page: str) -> bool:
    """Whether ``role`` may open ``page``.

    >>> can_open("curator", "curation_queue"), can_open("analyst", "curation_queue")
    (True, False)
    >>> can_open("curator", "query_log"), can_open("admin", "query_log")
    (False, True)
    """
    return role in PAGE_ROLES.get(page, ())


def current_user() -> Identity | None:
    """The signed-in user, or None."""
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, Identity) else None


def sign_in(identity: Identity) -> None:
    """Remember ``identity`` for this browser session and pick its first tenant."""
    st.session_state[USER_KEY] = identity
    if identity.tenant_ids:
        st.session_state[TENANT_KEY] = identity.tenant_ids[0]


def sign_out() -> None:
    """Forget the user (the language choice stays)."""
    for key in (USER_KEY, TENANT_KEY):
        st.session_state.pop(key, None)


def current_tenant() -> str | None:
    """The tenant chosen in the sidebar, if the user may open it."""
    user = current_user()
    tenant = st.session_state.get(TENANT_KEY)
    if user is None or tenant not in user.tenant_ids:
        return None
    return str(tenant)


def require_page(page: str) -> tuple[Identity, str]:
    """Stop the page unless a signed-in user with an allowed role and a tenant opened it."""
    from workbench.i18n import t

    user = current_user()
    if user is None:
        st.warning(t("login_intro"))
        st.stop()
    if not can_open(user.role, page):
        st.error(t("forbidden", role=", ".join(PAGE_ROLES.get(page, ()))))
        st.stop()
    tenant = current_tenant()
    if tenant is None:
        st.error(t("no_tenant"))
        st.stop()
    return user, tenant  # type: ignore[return-value]
