"""The provider's own company data: one row, edited by the admin, printed on every document."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from app.database import TimestampMixin, db
from app.models.customers import AddressMixin

COMPANY_ROW_ID = 1


class Company(AddressMixin, TimestampMixin, db.Model):
    """Letterhead, UID/MWST number, QR-IBAN and the public base URL of links.

    Read through app.company.company(), where WINET_COMPANY_* environment variables win
    over this row. A single row (id 1), audited like every business record.
    """

    __tablename__ = "core_company"
    __audited__ = True
    __table_args__ = (CheckConstraint(f"id = {COMPANY_ROW_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=COMPANY_ROW_ID)
    legal_name: Mapped[str] = mapped_column(String(70), default="")
    uid: Mapped[str] = mapped_column(String(15), default="")  # "CHE-123.456.789"
    qr_iban: Mapped[str] = mapped_column(String(34), default="")  # compact, "CH44..."
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    public_base_url: Mapped[str] = mapped_column(String(200), default="")
    # The terms of business: whether reminders may charge the fees of their level, and
    # whether default interest (Swiss OR 104) is claimed on overdue invoices.
    reminder_fees: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    default_interest: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
