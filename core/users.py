"""Workbench users: argon2-hashed passwords, roles and the tenants each user may open."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFoundError, UserError
from core.models import User
from core.tenancy import require_tenant

Role = Literal["curator", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("curator", "analyst", "admin")

Permission = Literal["curate", "analyse", "browse", "launch_build", "manage_users"]
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "curator": frozenset({"curate", "browse"}),
    "analyst": frozenset({"analyse", "browse"}),
    "admin": frozenset({"curate", "analyse", "browse", "launch_build", "manage_users"}),
}
"""What each role may do; pages and core actions both check through :func:`can`."""

MIN_PASSWORD_CHARS = 8
_USERNAME_RE = re.compile(r"^[a-zA-Z0-9_.@-]{2,100}$")

DEMO_PASSWORDS: dict[str, str] = {
    "curator": "curator-demo-2024",
    "analyst": "analyst-demo-2024",
    "admin": "admin-demo-2024",
}
"""Documented demo logins (username = role). Change them on any shared installation."""

_hasher = PasswordHasher()


class AuthenticationError(UserError):
    """Wrong username or password (one message for both, so usernames do not leak)."""

    status_code = 401


class PermissionDeniedError(UserError):
    """A logged-in user tried something their role does not allow."""

    status_code = 403


@dataclass(frozen=True)
class Identity:
    """A verified user as the UI and the actions see it (never the password hash)."""

    username: str
    role: str
    tenant_ids: tuple[str, ...]
    display_name: str | None = None

    def can(self, permission: str) -> bool:
        """Whether this user's role grants ``permission``."""
        return can(self.role, permission)


def can(role: str, permission: str) -> bool:
    """Whether ``role`` grants ``permission``.

    >>> can("curator", "curate"), can("curator", "launch_build"), can("admin", "launch_build")
    (True, False, True)
    >>> can("nobody", "browse")
    False
    """
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def require_permission(identity: Identity, permission: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``identity`` may do ``permission``."""
    if not identity.can(permission):
        raise PermissionDeniedError(
            f"le rôle '{identity.role}' ne permet pas cette action ({permission}) — "
            f"role '{identity.role}' may not do this; ask an admin"
        )


def require_tenant_access(identity: Identity, tenant_id: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``identity`` may open ``tenant_id``."""
    if tenant_id not in identity.tenant_ids:
        raise PermissionDeniedError(
            f"{identity.username} n'a pas accès à {tenant_id} — no access to this tenant"
        )


def validate_role(role: str) -> str:
    """Return ``role`` if known.

    >>> validate_role("analyst")
    'analyst'
    >>> validate_role("boss")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.errors.UserError: unknown role 'boss': choose one of curator, analyst, admin
    """
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return role


def validate_username(username: str) -> str:
    """Return ``username`` stripped if it is 2–100 letters, digits or ``_ . @ -``.

    >>> validate_username(" marie.dupont ")
    'marie.dupont'
    """
    name = username.strip()
    if not _USERNAME_RE.match(name):
        raise UserError(
            f"invalid username {username!r}: use 2-100 letters, digits or _ . @ - (no spaces)"
        )
    return name


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (refuses passwords shorter than 8 characters)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"password too short: use at least {MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def _identity(user: User) -> Identity:
    return Identity(
        username=user.username,
        role=user.role,
        tenant_ids=tuple(user.tenant_ids or ()),
        display_name=user.display_name,
    )


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: str,
    tenant_ids: list[str],
    display_name: str | None = None,
    update: bool = False,
) -> Identity:
    """Create a workbench user (or, with ``update``, reset an existing one's fields).

    Args:
        session: the caller's session (not committed here).
        username: login name, unique.
        password: clear text, hashed with argon2id before storage.
        role: curator, analyst or admin.
        tenant_ids: tenants the user may open; each must exist.
        display_name: shown in the sidebar.
        update: when the user exists, replace password, role and tenants instead of failing.
    """
    name = validate_username(username)
    validate_role(role)
    if not tenant_ids:
        raise UserError("give at least one tenant the user may open (--tenant tenant_demo)")
    tenants = [require_tenant(session, t) for t in dict.fromkeys(tenant_ids)]
    password_hash = hash_password(password)
    user = session.scalar(select(User).where(User.username == name))
    if user is not None and not update:
        raise UserError(f"user {name!r} already exists (use --update to change it)")
    if user is None:
        user = User(username=name)
        session.add(user)
    user.password_hash = password_hash
    user.role = role
    user.tenant_ids = tenants
    user.display_name = display_name
    user.is_active = True
    session.flush()
    return _identity(user)


def authenticate(session: Session, username: str, password: str) -> Identity:
    """Check a login; return the user's :class:`Identity` or raise AuthenticationError."""
    failure = AuthenticationError(
        "identifiant ou mot de passe incorrect — wrong username or password"
    )
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_active:
        # Spend the same time as a real check so unknown usernames do not stand out.
        _hasher.hash("timing-equaliser")
        raise failure
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return _identity(user)


def list_users(session: Session) -> list[Identity]:
    """Every active user, by username."""
    users = session.scalars(select(User).where(User.is_active).order_by(User.username))
    return [_identity(u) for u in users]


def deactivate_user(session: Session, username: str) -> None:
    """Disable a login without deleting its audit trail (curation events keep the name)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise NotFoundError(f"unknown user {username!r} (see `marketlounge user list`)")
    user.is_active = False


def ensure_demo_users(session: Session, tenant_id: str) -> list[tuple[str, str, str]]:
    """Create the demo logins (curator, analyst, admin) on ``tenant_id``; idempotent.

    Existing demo users keep their password (someone may have changed it) and gain access to
    ``tenant_id``. Returns ``(username, password, role)`` per user; the password reads
    ``(changed)`` when the documented one no longer works.
    """
    tenant = require_tenant(session, tenant_id)
    logins: list[tuple[str, str, str]] = []
    for role, password in DEMO_PASSWORDS.items():
        user = session.scalar(select(User).where(User.username == role))
        if user is None:
            create_user(
                session,
                role,
                password,
                role=role,
                tenant_ids=[tenant],
                display_name=f"Demo {role}",
            )
            logins.append((role, password, role))
            continue
        if tenant not in (user.tenant_ids or []):
            user.tenant_ids = [*(user.tenant_ids or []), tenant]
        try:
            _hasher.verify(user.password_hash, password)
            shown = password
        except (VerificationError, InvalidHashError):
            shown = "(changed)"
        logins.append((role, shown, user.role))
    session.flush()
    return logins
