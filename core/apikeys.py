"""API keys: create, list, revoke and verify the keys external callers send to the API.

A key looks like ``mlk_<prefix>_<secret>``: ``prefix`` (8 hex characters) is stored in clear
and indexed, so a key is found with one lookup and can be named in ``apikey list`` or
``apikey revoke`` without ever showing the secret; ``secret`` is 32 random bytes
(``secrets.token_urlsafe``). Only a hash of the whole key is stored and the plaintext is shown
once, at creation.

Why a plain SHA-256 and not argon2 (as for workbench passwords)? A slow, salted hash protects
*low-entropy* secrets that people choose, against dictionary attacks. These keys carry 256
random bits: no dictionary exists, and brute-forcing a 256-bit preimage of SHA-256 is
infeasible, so a slow hash would buy nothing except ~50 ms of CPU on every API request. The
hash is still compared in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings, get_settings
from core.errors import NotFoundError, UserError
from core.models import ApiKey
from core.tenancy import require_tenant, scoped, validate_tenant_id

logger = logging.getLogger(__name__)

KEY_SCHEME = "mlk"
"""First part of every key: says what the string is when it turns up in a log or a diff."""
DEMO_KEY_NAME = "demo"
"""Name of the key :func:`ensure_demo_key` creates on the demo tenant."""
DEMO_KEY_FILENAME = "demo_api_key.txt"
"""File in the data dir (git-ignored) that keeps the demo key so it can be printed again."""
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, not on every request."""

_KEY_RE = re.compile(rf"^{KEY_SCHEME}_([0-9a-f]{{8}})_([A-Za-z0-9_-]{{20,100}})$")
_NAME_RE = re.compile(r"^[\w .@:-]{1,100}$")


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a stored key (never the secret)."""

    api_key_id: int
    tenant_id: str
    name: str
    key_prefix: str
    created_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """True while the key is not revoked."""
        return self.revoked_at is None


@dataclass(frozen=True)
class CreatedApiKey:
    """A freshly created key: ``key`` is the only time the plaintext exists."""

    info: ApiKeyInfo
    key: str


def hash_key(key: str) -> str:
    """The stored form of a key: SHA-256 hex of the whole key (see the module docstring).

    >>> hash_key("mlk_0123abcd_secret")[:16]
    'acdb4fc97297a272'
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_prefix_of(key: str) -> str | None:
    """The lookup prefix of a well-formed key, ``None`` for anything else.

    >>> key_prefix_of("mlk_0123abcd_" + "x" * 43)
    '0123abcd'
    >>> key_prefix_of("Bearer something") is None
    True
    """
    match = _KEY_RE.match(key.strip())
    return match.group(1) if match else None


def generate_key() -> tuple[str, str]:
    """A new random key and its prefix: ``("mlk_<prefix>_<secret>", prefix)``."""
    prefix = secrets.token_hex(4)
    return f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        api_key_id=row.api_key_id,
        tenant_id=row.tenant_id,
        name=row.name,
        key_prefix=row.key_prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def create_api_key(session: Session, tenant_id: str, name: str = "default") -> CreatedApiKey:
    """Create a key for a tenant and return it with its plaintext (shown once, never stored).

    Args:
        session: an open session; the caller commits.
        tenant_id: an existing tenant.
        name: a label for people ("erp-prod", "partner-x"); several keys may share it.

    Raises:
        UserError: an unknown tenant or an unusable name.
    """
    tenant = require_tenant(session, tenant_id)
    if not _NAME_RE.match(name):
        raise UserError(
            f"invalid key name {name!r}: use 1-100 letters, digits, spaces or . @ : _ -"
        )
    while True:
        key, prefix = generate_key()
        clash = session.execute(select(ApiKey.api_key_id).where(ApiKey.key_prefix == prefix))
        if clash.first() is None:  # 1 in 4 billion, but a prefix must name one key
            break
    row = ApiKey(tenant_id=tenant, name=name, key_prefix=prefix, key_hash=hash_key(key))
    session.add(row)
    session.flush()
    session.refresh(row)
    return CreatedApiKey(info=_info(row), key=key)


def list_api_keys(
    session: Session, tenant_id: str, *, include_revoked: bool = False
) -> list[ApiKeyInfo]:
    """The tenant's keys, oldest first (prefix, name, dates; never a secret)."""
    tenant = require_tenant(session, tenant_id)
    stmt = scoped(ApiKey, tenant)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    rows = session.scalars(stmt.order_by(ApiKey.api_key_id))
    return [_info(row) for row in rows]


def revoke_api_key(session: Session, tenant_id: str, key_or_prefix: str) -> ApiKeyInfo:
    """Revoke a key of this tenant, named by its prefix (``apikey list``) or the whole key.

    Idempotent: revoking a revoked key keeps its first revocation date.

    Raises:
        NotFoundError: no key with that prefix in this tenant.
    """
    tenant = validate_tenant_id(tenant_id)
    prefix = key_prefix_of(key_or_prefix) or key_or_prefix.strip().lower()
    row = session.scalars(scoped(ApiKey, tenant, ApiKey.key_prefix == prefix)).first()
    if row is None:
        raise NotFoundError(
            f"no API key with prefix {prefix!r} in {tenant}: "
            f"see `marketlounge apikey list --tenant {tenant}`"
        )
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
    return _info(row)


def verify_api_key(session: Session, key: str) -> ApiKeyInfo | None:
    """The active key matching ``key``, or ``None`` (unknown, malformed or revoked).

    This is the one tenant-crossing read of ``core``: the key *is* what names the tenant, so
    the lookup goes by the globally unique prefix, then the hash is compared in constant time.
    ``last_used_at`` is refreshed at most once per :data:`LAST_USED_RESOLUTION`.
    """
    prefix = key_prefix_of(key)
    if prefix is None:
        return None
    row = session.scalars(select(ApiKey).where(ApiKey.key_prefix == prefix)).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, hash_key(key.strip())):
        return None
    now = datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.flush()
    return _info(row)


def demo_key_path(settings: Settings | None = None) -> Path:
    """Where the demo key's plaintext is kept: ``<MARKETLOUNGE_DATA_DIR>/demo_api_key.txt``."""
    return (settings or get_settings()).data_dir / DEMO_KEY_FILENAME


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


def stored_demo_key(
    session: Session, tenant_id: str, settings: Settings | None = None
) -> str | None:
    """The demo key kept in the data dir, if it is still an active key of ``tenant_id``."""
    path = demo_key_path(settings)
    if not path.is_file():
        return None
    key = path.read_text(encoding="utf-8").strip()
    info = verify_api_key(session, key)
    if info is None or info.tenant_id != validate_tenant_id(tenant_id):
        return None
    return key


def ensure_demo_key(
    session: Session, tenant_id: str, settings: Settings | None = None
) -> str | None:
    """Make sure the demo tenant has its demo key; return the plaintext only when created.

    The key is named :data:`DEMO_KEY_NAME` and its plaintext is also written (mode 0600) to
    :func:`demo_key_path` (``data/demo_api_key.txt``, git-ignored), so ``make run`` can print it
    again on later runs with :func:`stored_demo_key`. If an active demo key exists but its
    plaintext was lost (the file is gone), it is revoked and replaced: an unprintable demo key
    helps nobody.

    Returns:
        The new key when one was created, ``None`` when the existing one is still usable.
    """
    tenant = require_tenant(session, tenant_id)
    if stored_demo_key(session, tenant, settings) is not None:
        return None
    stale = session.scalars(
        scoped(ApiKey, tenant, ApiKey.name == DEMO_KEY_NAME, ApiKey.revoked_at.is_(None))
    ).all()
    for row in stale:
        row.revoked_at = datetime.now(UTC)
    created = create_api_key(session, tenant, DEMO_KEY_NAME)
    _write_private(demo_key_path(settings), created.key)
    logger.info("demo API key %s created for %s", created.info.key_prefix, tenant)
    return created.key
