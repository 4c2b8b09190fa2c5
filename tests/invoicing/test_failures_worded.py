"""A run's failures name their step in the reader's language (the step is data, worded on
the page), the document concerned and the reason; the API and the CLI keep one line."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from plugins.invoicing.models import InvoiceRun
from plugins.invoicing.planning import RunFailure, failure_detail
from plugins.invoicing.run_records import failure_records, kept_failure
from plugins.invoicing.vocabulary import FailedStep, RunKind, RunState
from tests.factories import login

ISSUING = RunFailure(7, "Gold AG", FailedStep.ISSUING, "Die Postleitzahl fehlt.", "#12", 12)
MAIL = RunFailure(7, "Gold AG", FailedStep.MAIL, "no '@' in the address", "2026-000031", 31)
BILLING = RunFailure(8, "Silber AG", FailedStep.BILLING, "TariffError: no catalog price")


def test_a_failure_is_worded_in_the_current_locale_and_kept_in_one_line(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("de"):
        assert ISSUING.worded == "Entwurf ausstellen #12: Die Postleitzahl fehlt."
        assert MAIL.worded == "E-Mail versenden 2026-000031: no '@' in the address"
        assert BILLING.worded == "TariffError: no catalog price"  # the customer is named
    with app.test_request_context(), force_locale("fr"):
        assert ISSUING.worded == "Émission du brouillon #12: Die Postleitzahl fehlt."
    assert ISSUING.reason == "issuing #12: Die Postleitzahl fehlt."
    assert BILLING.reason == "TariffError: no catalog price"


def test_a_rules_message_stands_alone_anything_else_names_its_type():
    from app.errors import RuleViolation

    assert failure_detail(RuleViolation("Die Postleitzahl fehlt.")) == "Die Postleitzahl fehlt."
    assert failure_detail(KeyError("x")) == "KeyError: 'x'"


def test_a_missing_tariff_value_or_vat_rate_is_said_in_words(app):
    from datetime import date

    from flask_babel import force_locale

    from app.tariffs import TariffError, tariff
    from plugins.invoicing.vat import rate_on

    with app.test_request_context(), force_locale("de"):
        with pytest.raises(TariffError) as missing:
            tariff("invoicing.payment_terms_days", date(1990, 1, 1))
        assert failure_detail(missing.value) == (
            "Am 01.01.1990 gilt kein Wert des Tarifs invoicing.payment_terms_days."
        )
        with pytest.raises(ValueError) as no_rate:
            rate_on([(date(2018, 1, 1), Decimal("7.7"))], date(2017, 12, 31))
        assert failure_detail(no_rate.value) == "Für den 31.12.2017 ist kein MWST-Satz festgelegt."


def test_a_kept_failure_reads_back_the_same_and_older_records_still_show():
    assert [kept_failure(r) for r in failure_records([ISSUING, BILLING])] == [ISSUING, BILLING]
    older = {"customer_id": 7, "customer": "Gold AG", "reason": "issuing draft 12: kaputt"}
    assert kept_failure(older) == RunFailure(
        7, "Gold AG", FailedStep.BILLING, "issuing draft 12: kaputt"
    )


@pytest.fixture
def failed_run(db):
    run = InvoiceRun(
        period="2026-12",
        kind=RunKind.ISSUING,
        status=RunState.FINISHED,
        actor="test",
        issue=True,
        requested_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        started_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 9, 1, tzinfo=UTC),
        failures=failure_records([ISSUING, MAIL]),
    )
    db.session.add(run)
    db.session.commit()
    return run


def test_the_status_page_words_the_step_in_the_readers_language(client, factories, failed_run):
    login(client, factories.user("finance"))
    page = client.get(f"/invoicing/runs/{failed_run.id}").text
    assert "Entwurf ausstellen #12: Die Postleitzahl fehlt." in page
    assert "E-Mail versenden 2026-000031" in page
    assert "issuing" not in page.split("<h2>")[-1]  # no code, no English prefix
    english = client.get(f"/invoicing/runs/{failed_run.id}?lang=en").text
    assert "Issuing a draft #12: Die Postleitzahl fehlt." in english
    assert "Entwurf ausstellen #12" in client.get("/invoicing/run").text  # recent runs
    # Each failed document is a click away, where finance mends what was refused.
    assert page.count('href="/invoicing/invoices/12">Dokument öffnen</a>') == 1
    assert 'href="/invoicing/invoices/31">Dokument öffnen</a>' in page


def test_the_api_gives_the_step_as_a_code_with_the_document_and_the_reason(
    client, factories, failed_run
):
    token = factories.token(factories.user("finance"))
    status = client.get(
        f"/api/v1/invoicing/runs/{failed_run.id}", headers={"Authorization": f"Bearer {token}"}
    ).json
    assert status["failures"][0] == {
        "customer_id": 7,
        "customer_name": "Gold AG",
        "step": "issuing",
        "subject": "#12",
        "invoice_id": 12,
        "detail": "Die Postleitzahl fehlt.",
        "reason": "issuing #12: Die Postleitzahl fehlt.",
    }


def test_the_preview_api_gives_a_billing_failure_with_its_step(client, db, setup, factories):
    from tests.invoicing.test_background_run import failing_customer

    bad = failing_customer(db, setup)
    token = factories.token(factories.user("finance"))
    preview = client.get(
        "/api/v1/invoicing/preview?period=2026-12", headers={"Authorization": f"Bearer {token}"}
    ).json
    (failure,) = preview["failures"]
    assert (failure["customer_id"], failure["step"], failure["subject"]) == (bad.id, "billing", "")
    assert "keinen Katalogpreis" in failure["detail"] and failure["reason"] == failure["detail"]
