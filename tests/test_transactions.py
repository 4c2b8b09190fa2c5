"""The entry point owns the transaction: when the last step of a change fails, nothing of
its earlier steps is kept, whether a page or an API endpoint ran it (a CLI command:
tests/invoicing/test_transactions_cli.py; a job: tests/servicedesk/test_sweep_transaction.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import RuleViolation
from app.models import OutboxMessage
from plugins.contracts import quotes as quote_rules
from plugins.contracts.models import Quote
from tests.factories import login

DECEMBER_RUN = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": DECEMBER_RUN}


def _quote(db, factories) -> Quote:
    customer = factories.customer("Juraweid AG")
    quote = quote_rules.create_quote(
        customer, None, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 15)
    )
    quote_rules.add_line(quote, "pro", site=factories.site(customer))
    db.session.commit()
    return quote


@pytest.fixture
def failing_mail(monkeypatch):
    """The last step of sending a quote, queuing its e-mail, is refused."""

    def refuse(*args, **kwargs):
        raise RuleViolation("the mail server refuses this address")

    monkeypatch.setattr(quote_rules, "queue_mail", refuse)


def _nothing_of_the_send_kept(db, quote_id: int) -> None:
    db.session.rollback()
    quote = db.session.get(Quote, quote_id)
    assert (quote.state, quote.sent_at) == ("draft", None)
    assert [line.list_price for line in quote.lines] == [None]  # prices not frozen
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_page_keeps_nothing_when_the_last_step_fails(client, db, factories, failing_mail):
    quote = _quote(db, factories)
    login(client, factories.user("account_manager"))
    page = client.post(f"/contracts/quotes/{quote.id}/send", follow_redirects=True)
    assert "the mail server refuses this address" in page.get_data(as_text=True)
    _nothing_of_the_send_kept(db, quote.id)


def test_an_api_endpoint_keeps_nothing_when_the_last_step_fails(
    client, db, factories, failing_mail
):
    quote = _quote(db, factories)
    token = factories.token(factories.user("account_manager"))
    response = client.post(
        f"/api/v1/quotes/{quote.id}/send",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert "the mail server refuses this address" in response.get_json()["message"]
    _nothing_of_the_send_kept(db, quote.id)
