"""What an account manager sees of quotes on the start page: quotes waiting for the
customer or for finance, and the pipeline value (the monthly net of the open quotes)."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.toolkit import Panel, db, has_permission, today, visible_customer_id
from plugins.contracts.models import Quote, QuoteLine
from plugins.contracts.quotes import quote_totals
from plugins.contracts.vocabulary import Approval, QuoteState

LIMIT = 50


def open_quotes() -> tuple[list[Quote], list[Quote]]:
    """Sent and not yet answered (oldest validity first); drafts waiting for finance."""
    loaded = (
        selectinload(Quote.customer),
        selectinload(Quote.lines).selectinload(QuoteLine.tier),
        selectinload(Quote.account_manager),
    )
    sent = db.session.scalars(
        select(Quote)
        .options(*loaded)
        .where(Quote.state == QuoteState.SENT, Quote.valid_until >= today())
        .order_by(Quote.valid_until, Quote.id)
        .limit(LIMIT)
    ).all()
    pending = db.session.scalars(
        select(Quote)
        .options(*loaded)
        .where(Quote.state == QuoteState.DRAFT, Quote.approval == Approval.PENDING)
        .order_by(Quote.id)
        .limit(LIMIT)
    ).all()
    return list(sent), list(pending)


def panels(user) -> list[Panel]:
    if visible_customer_id() is not None or not has_permission(user, "contracts.quotes.write"):
        return []
    sent, pending = open_quotes()
    totals = {quote.id: quote_totals(quote) for quote in [*sent, *pending]}
    pipeline = sum((totals[quote.id].net for quote in sent), Decimal("0.00"))
    html = render_template(
        "contracts/dashboard.html",
        sent=sent,
        pending=pending,
        totals=totals,
        pipeline=pipeline,
    )
    return [Panel(_("Quotes"), html, order=15, key="contracts.quotes")]
