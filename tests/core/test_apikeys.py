"""API keys: created once in clear, stored hashed, verified, revoked, scoped to one tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.apikeys import (
    DEMO_KEY_NAME,
    create_api_key,
    demo_key_path,
    ensure_demo_key,
    hash_key,
    key_prefix_of,
    list_api_keys,
    revoke_api_key,
    stored_demo_key,
    verify_api_key,
)
from core.errors import NotFoundError, UserError
from core.models import ApiKey


def test_a_created_key_is_stored_only_as_a_hash_and_verifies(session, tenant_id) -> None:
    created = create_api_key(session, tenant_id, "erp-prod")
    assert created.key.startswith(f"mlk_{created.info.key_prefix}_")
    assert key_prefix_of(created.key) == created.info.key_prefix
    row = session.scalars(select(ApiKey).where(ApiKey.api_key_id == created.info.api_key_id)).one()
    assert row.key_hash == hash_key(created.key)
    assert created.key not in (row.key_hash, row.key_prefix, row.name)

    info = verify_api_key(session, created.key)
    assert info is not None
    assert (info.tenant_id, info.name, info.api_key_id) == (tenant_id, "erp-prod", row.api_key_id)
    assert info.last_used_at is not None


def test_wrong_malformed_and_tampered_keys_do_not_verify(session, tenant_id) -> None:
    created = create_api_key(session, tenant_id)
    tampered = created.key[:-1] + ("A" if created.key[-1] != "A" else "B")
    assert verify_api_key(session, tampered) is None
    assert verify_api_key(session, "mlk_00000000_" + "x" * 43) is None
    assert verify_api_key(session, "not a key") is None
    assert verify_api_key(session, "") is None


def test_revoked_keys_stop_verifying_and_leave_the_list(session, tenant_id) -> None:
    first = create_api_key(session, tenant_id, "a")
    second = create_api_key(session, tenant_id, "b")
    revoked = revoke_api_key(session, tenant_id, first.info.key_prefix)
    assert revoked.revoked_at is not None
    assert verify_api_key(session, first.key) is None
    assert verify_api_key(session, second.key) is not None
    assert [k.key_prefix for k in list_api_keys(session, tenant_id)] == [second.info.key_prefix]
    everything = list_api_keys(session, tenant_id, include_revoked=True)
    assert {k.key_prefix for k in everything} == {first.info.key_prefix, second.info.key_prefix}
    # idempotent, and the whole key works as well as the prefix
    assert revoke_api_key(session, tenant_id, first.key).revoked_at == revoked.revoked_at


def test_a_tenant_cannot_list_or_revoke_another_tenants_key(session, tenant_id) -> None:
    from core.tenancy import ensure_tenant

    other = ensure_tenant(session, tenant_id + "_other")
    created = create_api_key(session, other)
    assert list_api_keys(session, tenant_id) == []
    with pytest.raises(NotFoundError, match="apikey list"):
        revoke_api_key(session, tenant_id, created.info.key_prefix)
    assert verify_api_key(session, created.key) is not None


def test_bad_names_and_unknown_tenants_are_refused(session, tenant_id) -> None:
    with pytest.raises(UserError, match="invalid key name"):
        create_api_key(session, tenant_id, "")
    with pytest.raises(NotFoundError, match="tenant create"):
        create_api_key(session, "tenant_does_not_exist_xyz")


def test_demo_key_is_created_once_and_can_be_printed_again(session, tenant_id, settings) -> None:
    path = demo_key_path(settings)
    path.unlink(missing_ok=True)
    key = ensure_demo_key(session, tenant_id, settings)
    assert key is not None
    assert path.read_text().strip() == key
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert ensure_demo_key(session, tenant_id, settings) is None
    assert stored_demo_key(session, tenant_id, settings) == key
    info = verify_api_key(session, key)
    assert info is not None
    assert (info.tenant_id, info.name) == (tenant_id, DEMO_KEY_NAME)

    # plaintext lost: the old demo key is replaced (revoked), never left unprintable
    path.unlink()
    replacement = ensure_demo_key(session, tenant_id, settings)
    assert replacement not in (None, key)
    assert verify_api_key(session, key) is None
    assert [k.name for k in list_api_keys(session, tenant_id)] == [DEMO_KEY_NAME]
    path.unlink()
