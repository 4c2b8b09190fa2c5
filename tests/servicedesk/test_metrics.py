"""FirstReaction deadline metrics: open tickets near breach and breached, by tier."""

from __future__ import annotations

from datetime import timedelta

from plugins.servicedesk import intake
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.metrics import deadline_counts
from plugins.servicedesk.work import record_first_reaction
from tests.core.test_metrics import scrape, value
from tests.servicedesk.conftest import zurich

WINDOW = timedelta(minutes=30)


def open_dispatched(desk, db):
    """A pro ticket reported Tuesday 10:00: its FirstReaction is due at 16:00."""
    ticket = intake.open_ticket(desk.site, "Phones down", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    return ticket


def test_a_ticket_is_near_breach_within_the_window_then_breached(app, desk, db, clock):
    ticket = open_dispatched(desk, db)
    assert ticket.first_reaction_due_at == zurich(2026, 11, 24, 16, 0)
    counts = deadline_counts(zurich(2026, 11, 24, 15, 29), WINDOW)
    assert counts["pro"] == (0, 0)  # 31 minutes left
    assert deadline_counts(zurich(2026, 11, 24, 15, 30), WINDOW)["pro"] == (1, 0)
    assert deadline_counts(zurich(2026, 11, 24, 15, 59), WINDOW)["pro"] == (1, 0)
    assert deadline_counts(zurich(2026, 11, 24, 16, 0), WINDOW)["pro"] == (0, 1)
    # Every tier of the catalog is there, with zeros: an alert needs the series to exist.
    assert counts.keys() >= {"premium", "pro_plus", "pro", "basic_plus", "basic"}
    assert counts["premium"] == (0, 0)

    clock(zurich(2026, 11, 24, 16, 5))
    record_first_reaction(ticket, desk.technician, "Looking into it")
    db.session.commit()
    assert deadline_counts(zurich(2026, 11, 24, 16, 5), WINDOW)["pro"] == (0, 0)


def test_the_plugin_serves_them_on_metrics(app, desk, db, clock, client):
    open_dispatched(desk, db)
    clock(zurich(2026, 11, 24, 15, 45))
    samples = scrape(client)
    assert value(samples, "winet_servicedesk_tickets_near_breach", tier="pro") == 1
    assert value(samples, "winet_servicedesk_tickets_breached", tier="pro") == 0
    clock(zurich(2026, 11, 24, 16, 1))
    samples = scrape(client)
    assert value(samples, "winet_servicedesk_tickets_near_breach", tier="pro") == 0
    assert value(samples, "winet_servicedesk_tickets_breached", tier="pro") == 1
    assert value(samples, "winet_metrics_collector_up", collector="servicedesk.tickets") == 1


def test_the_window_is_configurable(app, desk, db, clock, client):
    open_dispatched(desk, db)
    clock(zurich(2026, 11, 24, 14, 0))
    assert value(scrape(client), "winet_servicedesk_tickets_near_breach", tier="pro") == 0
    app.config["SERVICEDESK_NEAR_BREACH_MINUTES"] = 120
    assert value(scrape(client), "winet_servicedesk_tickets_near_breach", tier="pro") == 1
