"""Customers, their sites (Standorte) and contacts (the people allowed to call the desk)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import IdMixin, TimestampMixin, db
from app.passwords import check_secret, hash_secret
from app.vocabulary import Vocabulary

LANGUAGES = ("de", "en")


class InvoiceMode(Vocabulary):
    """Whether a customer gets one invoice per site or one for all its sites (SPEC, invoicing)."""

    PER_SITE = "per_site", _l("One invoice per site")
    CONSOLIDATED = "consolidated", _l("One consolidated invoice")


CANTONS = [
    "AG",
    "AI",
    "AR",
    "BE",
    "BL",
    "BS",
    "FR",
    "GE",
    "GL",
    "GR",
    "JU",
    "LU",
    "NE",
    "NW",
    "OW",
    "SG",
    "SH",
    "SO",
    "SZ",
    "TG",
    "TI",
    "UR",
    "VD",
    "VS",
    "ZG",
    "ZH",
]


class AddressMixin:
    """A structured Swiss postal address, as QR-bill version 2.3 requires."""

    street: Mapped[str] = mapped_column(String(70))
    house_number: Mapped[str] = mapped_column(String(16), default="")
    postal_code: Mapped[str] = mapped_column(String(16))
    town: Mapped[str] = mapped_column(String(35))
    country: Mapped[str] = mapped_column(String(2), default="CH")


class Customer(IdMixin, TimestampMixin, AddressMixin, db.Model):
    __tablename__ = "core_customer"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("language in ('de', 'en')", name="language"),
        InvoiceMode.constraint("invoice_mode"),
    )

    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    legal_name: Mapped[str] = mapped_column(String(70))
    billing_email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(32), default="")
    language: Mapped[str] = mapped_column(String(2), default="de")
    invoice_mode: Mapped[InvoiceMode] = mapped_column(
        InvoiceMode.column(16), default=InvoiceMode.PER_SITE
    )
    active: Mapped[bool] = mapped_column(default=True)

    sites: Mapped[list[Site]] = relationship(
        back_populates="customer", order_by="Site.name", cascade="all, delete-orphan"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", order_by="Contact.name", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.legal_name


class Site(IdMixin, TimestampMixin, AddressMixin, db.Model):
    __tablename__ = "core_site"
    __audited__ = True

    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(70))
    canton: Mapped[str] = mapped_column(String(2), default="AG")
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(default=True)

    customer: Mapped[Customer] = relationship(back_populates="sites")

    def __str__(self) -> str:
        return f"{self.customer.legal_name}, {self.name}" if self.customer else self.name


class Contact(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "core_contact"
    __audited__ = True
    __audit_redact__ = frozenset({"pin_hash"})

    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(70))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    authorised_caller: Mapped[bool] = mapped_column(default=False)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    def set_pin(self, pin: str) -> None:
        if not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError("the PIN must be 4 to 8 digits")
        self.pin_hash = hash_secret(pin)

    def check_pin(self, pin: str) -> bool:
        return check_secret(self.pin_hash, pin)

    def __str__(self) -> str:
        return self.name
