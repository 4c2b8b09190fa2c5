"""The migration to codes keeps what is there: old charges, reasons and open tickets."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from app import create_app
from tests.conftest import test_config as make_config

BEFORE = "180fbd3d9fa4"  # servicedesk before vocabularies, service days and next check


def _run(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, (args, result.output, result.exception)


def test_old_charges_keep_their_text_and_open_tickets_are_looked_at_once(tmp_path):
    path = tmp_path / "old.db"
    app = create_app(make_config(f"sqlite:///{path}"))
    _run(app, "upgrade", BEFORE)
    _run(app, "upgrade", "heads")  # the other branches, up to the servicedesk's BEFORE
    _run(app, "downgrade", f"servicedesk@{BEFORE}")
    old = sqlite3.connect(path)
    stamp = "2026-11-24 09:00:00.000000"
    address = "'Täfernstrasse', '31', '5405', 'Baden-Dättwil', 'CH'"
    old.execute(
        "INSERT INTO core_customer (id, legal_name, billing_email, phone, language, "
        "invoice_mode, active, created_at, updated_at, street, house_number, postal_code, "
        f"town, country) VALUES (1, 'Muster AG', 'b@example.ch', '', 'de', 'per_site', 1, "
        f"?, ?, {address})",
        (stamp, stamp),
    )
    old.execute(
        "INSERT INTO core_site (id, customer_id, name, canton, phone, active, created_at, "
        "updated_at, street, house_number, postal_code, town, country) VALUES (1, 1, "
        f"'Baden', 'AG', '', 1, ?, ?, {address})",
        (stamp, stamp),
    )
    old.execute(
        "INSERT INTO servicedesk_ticket (id, customer_id, site_id, channel, state, summary, "
        "description, reported_at, fast_lane, first_reaction_note, resolution, created_at, "
        "updated_at) VALUES (1, 1, 1, 'phone', 'dispatched', 'Down', '', ?, 0, '', '', ?, ?)",
        (stamp, stamp, stamp),
    )
    for number, (reason, text) in enumerate(
        [
            ("Free service units of the contract year", "T-000001 service time 60 min"),
            ("Fault of a Winet base-system service: free of charge", "T-000001 material: Cable"),
            (None, "T-000001 travel flat fee, on-site visit 24.11.2026"),
        ],
        1,
    ):
        old.execute(
            "INSERT INTO servicedesk_charge (id, ticket_id, reference, kind, customer_id, "
            "site_id, billing_date, service_date, description, quantity, unit, unit_price, "
            "amount, zero_rated_reason) VALUES (?, 1, ?, 'time', 1, 1, '2026-11-24', "
            "'2026-11-23', ?, 1000, 'h', 0, 0, ?)",
            (number, f"ticket:1:{number}", text, reason),
        )
    old.commit()
    old.close()

    _run(app, "upgrade", "heads")
    new = sqlite3.connect(path)
    rows = new.execute(
        "SELECT service_days, description_code, description_params, zero_rated_reason "
        "FROM servicedesk_charge ORDER BY id"
    ).fetchall()
    assert [(json.loads(d), c, json.loads(p), r) for d, c, p, r in rows] == [
        ([["2026-11-23", 1]], "text", {"text": "T-000001 service time 60 min"}, "free_units"),
        ([["2026-11-23", 1]], "text", {"text": "T-000001 material: Cable"}, "base_system"),
        (
            [["2026-11-23", 1]],
            "text",
            {"text": "T-000001 travel flat fee, on-site visit 24.11.2026"},
            None,
        ),
    ]
    # The open ticket is due for one look by the first sweep, which sets its next check.
    assert new.execute("SELECT next_check_at FROM servicedesk_ticket").fetchone() == (stamp,)
    new.close()

    with app.app_context():
        from app.database import db
        from plugins.servicedesk.models import Charge

        charge = db.session.get(Charge, 1)
        assert charge.description == "T-000001 service time 60 min"  # shown as it was
        assert charge.days == ((date(2026, 11, 23), 1),)
        db.engine.dispose()
