"""Workbench users: argon2 hashes, roles, tenants, demo logins and the ``user`` CLI."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from core import users
from core.errors import UserError
from core.models import User
from core.tenancy import UnknownTenantError


def _name(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_create_and_authenticate_store_only_an_argon2_hash(session, tenant_id) -> None:
    name = _name()
    created = users.create_user(
        session, name, "correct horse", role="curator", tenant_ids=[tenant_id]
    )
    assert created == users.Identity(name, "curator", (tenant_id,), None)
    row = session.scalar(select(User).where(User.username == name))
    assert row.password_hash.startswith("$argon2id$")
    assert "correct horse" not in row.password_hash
    assert users.authenticate(session, name, "correct horse") == created
    with pytest.raises(users.AuthenticationError, match="incorrect"):
        users.authenticate(session, name, "wrong horse")
    with pytest.raises(users.AuthenticationError, match="incorrect"):
        users.authenticate(session, _name("nobody"), "correct horse")


@pytest.mark.parametrize(
    ("username", "password", "role", "match"),
    [
        ("ok_name", "short", "curator", "too short"),
        ("ok_name", "long enough", "boss", "unknown role"),
        ("bad name", "long enough", "curator", "invalid username"),
    ],
)
def test_bad_user_input_is_refused(session, tenant_id, username, password, role, match) -> None:
    with pytest.raises(UserError, match=match):
        users.create_user(session, username, password, role=role, tenant_ids=[tenant_id])


def test_tenants_must_exist_and_duplicates_need_update(session, tenant_id) -> None:
    name = _name()
    with pytest.raises(UnknownTenantError):
        users.create_user(
            session, name, "long enough", role="analyst", tenant_ids=["tenant_nope_x"]
        )
    with pytest.raises(UserError, match="at least one tenant"):
        users.create_user(session, name, "long enough", role="analyst", tenant_ids=[])
    users.create_user(session, name, "long enough", role="analyst", tenant_ids=[tenant_id])
    with pytest.raises(UserError, match="already exists"):
        users.create_user(session, name, "other pass", role="admin", tenant_ids=[tenant_id])
    updated = users.create_user(
        session, name, "other pass", role="admin", tenant_ids=[tenant_id], update=True
    )
    assert updated.role == "admin"
    assert users.authenticate(session, name, "other pass").role == "admin"


def test_disabled_users_cannot_log_in(session, tenant_id) -> None:
    name = _name()
    users.create_user(session, name, "long enough", role="analyst", tenant_ids=[tenant_id])
    users.deactivate_user(session, name)
    with pytest.raises(users.AuthenticationError):
        users.authenticate(session, name, "long enough")
    assert name not in {u.username for u in users.list_users(session)}


def test_roles_grant_the_documented_permissions() -> None:
    curator = users.Identity("c", "curator", ("tenant_a",))
    analyst = users.Identity("a", "analyst", ("tenant_a",))
    admin = users.Identity("x", "admin", ("tenant_a",))
    assert curator.can("curate")
    assert not curator.can("analyse")
    assert analyst.can("analyse")
    assert not analyst.can("curate")
    assert all(admin.can(p) for p in ("curate", "analyse", "launch_build", "manage_users"))
    with pytest.raises(users.PermissionDeniedError, match="launch_build"):
        users.require_permission(curator, "launch_build")
    with pytest.raises(users.PermissionDeniedError):
        users.require_tenant_access(curator, "tenant_b")
    users.require_tenant_access(curator, "tenant_a")


def test_demo_users_are_idempotent_and_gain_new_tenants(session, tenant_id) -> None:
    from core.tenancy import ensure_tenant

    first = users.ensure_demo_users(session, tenant_id)
    assert {(u, r) for u, _, r in first} == {("curator", "curator"), ("analyst", "analyst"),
                                            ("admin", "admin")}  # fmt: skip
    for username, password, _ in first:
        assert tenant_id in users.authenticate(session, username, password).tenant_ids
    other = ensure_tenant(session, f"{tenant_id}_b")
    again = users.ensure_demo_users(session, other)
    assert again == first
    assert set(users.authenticate(session, "admin", first[2][1]).tenant_ids) >= {tenant_id, other}


def test_cli_creates_and_lists_users(engine, tenant_id) -> None:
    from core.cli.main import app

    runner = CliRunner()
    name = _name("cli")
    result = runner.invoke(
        app,
        ["user", "create", name, "--role", "curator", "--tenant", tenant_id, "--password-stdin"],
        input="s3cret-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert f"user {name} created" in result.output
    listed = runner.invoke(app, ["user", "list"])
    line = next(row for row in listed.output.splitlines() if name in row)
    assert "curator" in line
    assert tenant_id in line
    again = runner.invoke(
        app,
        ["user", "create", name, "--role", "curator", "--tenant", tenant_id, "--password-stdin"],
        input="s3cret-pass\n",
    )
    assert again.exit_code == 2
    assert "already exists" in again.output
    bad = runner.invoke(
        app,
        ["user", "create", _name(), "--role", "boss", "--tenant", tenant_id, "--password-stdin"],
        input="s3cret-pass\n",
    )
    assert bad.exit_code == 2
    assert "unknown role" in bad.output
