"""Signed links to pay an invoice online, printed on the PDF and sent by e-mail."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.toolkit import company

_SALT = "invoicing.pay-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def pay_token(invoice_id: int) -> str:
    return _serializer().dumps(invoice_id)


def invoice_id_of(token: str) -> int | None:
    """The invoice a token was made for, or None for a forged or garbled token."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def pay_url(invoice_id: int) -> str:
    return company().link(f"/invoicing/pay/{pay_token(invoice_id)}")
