"""Users with one role each, and their personal API tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import IdMixin, TimestampMixin, db, utcnow
from app.models.customers import Customer
from app.passwords import check_secret, hash_secret
from app.vocabulary import Vocabulary


def new_session_token() -> str:
    return secrets.token_hex(16)


class Role(Vocabulary):
    """SPEC section 6, in the order the UI lists them."""

    ADMIN = "admin", _l("Administrator")
    FINANCE = "finance", _l("Finance")
    ACCOUNT_MANAGER = "account_manager", _l("Account manager")
    SERVICE_DESK = "service_desk", _l("Service desk")
    TECHNICIAN = "technician", _l("Technician")
    CHIEF = "chief", _l("Chief technician")
    CUSTOMER = "customer", _l("Customer")


class User(IdMixin, TimestampMixin, UserMixin, db.Model):
    __tablename__ = "core_user"
    __audited__ = True
    __audit_redact__ = frozenset({"password_hash", "session_token"})
    # Login bookkeeping changes on every attempt; the audit trail is for decisions.
    __audit_ignore__ = frozenset(
        {"last_login_at", "failed_logins", "first_failed_login_at", "locked_until"}
    )
    __table_args__ = (
        Role.constraint("role"),
        # A customer user always belongs to exactly one company; staff belong to none.
        CheckConstraint(
            "(role = 'customer') = (customer_id IS NOT NULL)", name="customer_user_has_company"
        ),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(70))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Role.column(20))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("core_customer.id"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="de")
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Part of every session cookie (get_id): a new value ends every session of the user,
    # on any device, because the user loader refuses a cookie with another value.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    # Failed logins counted in the database, so the lock holds across processes.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    first_failed_login_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]

    customer: Mapped[Customer | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login and load
        return self.active

    def login_locked(self, at: datetime) -> bool:
        """Whether too many failed logins keep the account locked at `at`."""
        return self.locked_until is not None and at < self.locked_until

    @property
    def is_customer(self) -> bool:
        return self.role == "customer"

    def get_id(self) -> str:
        """Flask-Login stores this in the session: "<id>:<session token>"."""
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        if len(password) < 8:
            raise ValueError("the password must have at least 8 characters")
        if self.password_hash:
            # A changed password ends every session opened with the old one.
            self.end_all_sessions()
        self.password_hash = hash_secret(password)

    def check_password(self, password: str) -> bool:
        return check_secret(self.password_hash, password)

    def __str__(self) -> str:
        return self.name


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast digest is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(IdMixin, db.Model):
    __tablename__ = "core_api_token"
    __audited__ = True
    __audit_redact__ = frozenset({"token_hash"})
    __audit_ignore__ = frozenset({"last_used_at"})

    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(70))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """A new token row and the clear token, which is shown once and never stored."""
        clear = "wct_" + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(clear), prefix=clear[:12])
        return token, clear
