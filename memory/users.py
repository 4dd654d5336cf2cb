"""People who log in to the web chat (tables from migration 0013): one row per person, with a
salted scrypt hash of their password, their role and the rep they are; and the failed logins
that lock a name and an address out for a while.

Passwords: `hashlib.scrypt` (stdlib, memory-hard) with a random 16-byte salt per user, stored as
`scrypt$n$r$p$salt$hash` (base64) so the cost can be raised later without breaking old hashes.
A login for a name that does not exist costs the same hash as a real one (no timing tells who has
an account). The plain password is never stored or logged.

Throttle: failures are counted per (email, client address) and per client address alone, in the
store (so a restart does not reset them). After `threshold` failures in a row the key is locked
for `base_s` seconds, doubling with every further failure up to `max_s`; while locked every
attempt is refused without checking the password, a correct one too. A success clears the
(email, address) count; failures a day old are forgotten. A lock is per address, so one attacker cannot lock a person out from
everywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Boolean, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from leadpilot.memory.models import Base, Rep

Role = Literal["rep", "manager", "admin"]
ROLES: tuple[str, ...] = ("rep", "manager", "admin")
MIN_PASSWORD_LENGTH = 10
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~16 MiB, ~50 ms per hash on a small machine
_FORGET_AFTER = timedelta(days=1)
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + base64.b64encode(b"\0" * 32).decode()


class WebUser(Base):
    """A person who logs in to the web chat."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # rep | manager | admin
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: single sign-on only
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()
    password_changed_at: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()


class LoginFailures(Base):
    """Failed logins in a row for one key ("user:<email>|<address>" or "addr:<address>")."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()


class UserError(ValueError):
    """A user cannot be added or changed as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Identity:
    """Who logged in, as the interfaces need it (role and rep from the store)."""

    email: str
    role: str
    rep_id: int | None
    rep_email: str | None
    name: str


@dataclass(frozen=True)
class Throttle:
    threshold: int = 5  # failures in a row before a lock (per email + address)
    address_threshold: int = 20  # per address, whatever the names tried
    base_s: float = 60.0
    max_s: float = 900.0

    def lock_for(self, failures: int, threshold: int) -> timedelta | None:
        if failures < threshold:
            return None
        return timedelta(seconds=min(self.max_s, self.base_s * 2 ** (failures - threshold)))


@dataclass(frozen=True)
class LoginResult:
    identity: Identity | None
    locked_until: datetime | None = None  # set when refused because of earlier failures

    @property
    def ok(self) -> bool:
        return self.identity is not None


# --- passwords --------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **_SCRYPT)
    return "scrypt${n}${r}${p}${salt}${hash}".format(
        **_SCRYPT, salt=base64.b64encode(salt).decode(), hash=base64.b64encode(digest).decode()
    )


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches the stored hash; always spends one hash, even with none stored."""
    try:
        scheme, n, r, p, salt, expected = (stored or _DUMMY_HASH).split("$")
        digest = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32,
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return scheme == "scrypt" and stored is not None and hmac.compare_digest(digest, base64.b64decode(expected))


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password is {len(password)} characters; use at least {MIN_PASSWORD_LENGTH} (a passphrase is fine)")
    if password != password.strip():
        raise UserError("the password starts or ends with a space or a line break; remove it")


# --- users ------------------------------------------------------------------------------------


def _email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise UserError(f"{email!r} is not an email address; people log in with their email")
    return email


def add_user(
    session: Session, *, email: str, role: str, now: datetime, password: str | None = None, rep_email: str | None = None,
) -> WebUser:
    """Add a person. A rep must be a rep in the store (their email, or `rep_email`): that is whose
    leads they see. A manager or admin is linked to their rep row when there is one."""
    email = _email(email)
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if session.scalar(select(WebUser).where(WebUser.email == email)) is not None:
        raise UserError(f"{email} already has a login; change its password with `leadpilot user passwd {email}`")
    rep = _rep_for(session, email=email, rep_email=rep_email, role=role)
    if password is not None:
        check_new_password(password)
    user = WebUser(
        email=email, role=role, rep_id=rep.id if rep else None, active=True, created_at=now,
        password_hash=hash_password(password) if password is not None else None,
        password_changed_at=now if password is not None else None,
    )
    session.add(user)
    session.flush()
    return user


def _rep_for(session: Session, *, email: str, rep_email: str | None, role: str) -> Rep | None:
    wanted = (rep_email or email).strip().lower()
    rep = session.scalar(select(Rep).where(Rep.email == wanted))
    if rep is None and rep_email is not None:
        raise UserError(f"no rep has the email {wanted}; list them with `leadpilot user list --reps`")
    if rep is None and role == "rep":
        raise UserError(f"{email} is not a rep in the store, so there are no leads of theirs to show; "
                        "pass --rep REP_EMAIL, or --role manager/admin for someone who sees every lead")
    return rep


def set_password(session: Session, *, email: str, password: str, now: datetime) -> WebUser:
    user = get_user(session, email)
    if user is None:
        raise UserError(f"{email} has no login; add it with `leadpilot user add {email} --role rep`")
    check_new_password(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    session.execute(delete(LoginFailures).where(LoginFailures.key.like(f"user:{user.email}|%")))  # a new password unlocks
    session.flush()
    return user


def remove_user(session: Session, *, email: str) -> bool:
    user = get_user(session, email)
    if user is None:
        return False
    session.delete(user)
    session.flush()
    return True


def get_user(session: Session, email: str) -> WebUser | None:
    return session.scalar(select(WebUser).where(WebUser.email == email.strip().lower()))


def list_users(session: Session) -> Sequence[WebUser]:
    return session.scalars(select(WebUser).order_by(WebUser.email)).all()


def has_users(session: Session) -> bool:
    """Does anyone have a web login? (Then the web chat asks everyone to log in.)"""
    return session.scalar(select(WebUser.id).limit(1)) is not None


def identity_of(session: Session, user: WebUser) -> Identity:
    rep = session.get(Rep, user.rep_id) if user.rep_id is not None else None
    return Identity(
        email=user.email, role=user.role, rep_id=rep.id if rep else None, rep_email=rep.email if rep else None,
        name=rep.name if rep else user.email.split("@")[0],
    )


def sso_identity(session: Session, email: str) -> Identity | None:
    """The identity for an email a trusted proxy or OAuth provider vouched for: it must be an
    active user here (no password needed); None otherwise."""
    user = get_user(session, email)
    if user is None or not user.active:
        return None
    return identity_of(session, user)


# --- logging in -------------------------------------------------------------------------------


def authenticate(
    session: Session, *, email: str, password: str, address: str, now: datetime, throttle: Throttle = Throttle(),
) -> LoginResult:
    """Check a login from `address`; count a failure, or clear the count on success."""
    email = email.strip().lower()[:254]
    keys = (f"user:{email}|{address}"[:400], f"addr:{address}"[:400])
    rows = {key: session.get(LoginFailures, key) for key in keys}
    locked = [row.locked_until for row in rows.values() if row is not None and row.locked_until and row.locked_until > now]
    if locked:
        return LoginResult(None, locked_until=max(locked))
    user = get_user(session, email)
    good = verify_password(password, user.password_hash if user is not None else None)
    if good and user is not None and user.active:
        user.last_login_at = now
        if rows[keys[0]] is not None:
            session.delete(rows[keys[0]])
        session.flush()
        return LoginResult(identity_of(session, user))
    for key, threshold in zip(keys, (throttle.threshold, throttle.address_threshold)):
        row = rows[key]
        if row is None:
            row = LoginFailures(key=key, failures=0, last_failure_at=now)
            session.add(row)
        if row.last_failure_at < now - _FORGET_AFTER:  # old failures are forgotten
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        lock = throttle.lock_for(row.failures, threshold)
        row.locked_until = now + lock if lock is not None else None
    session.flush()
    return LoginResult(None)
