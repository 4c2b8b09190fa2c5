"""The run as separate OS processes on PostgreSQL: started twice at once, and killed halfway."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plugins.invoicing.models import BilledMonth, InvoiceLine

pytestmark = pytest.mark.postgres_only
ROOT = Path(__file__).resolve().parents[2]


def flask_run(database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "memory",
        # Small batches, so that a kill halfway leaves some committed and some not.
        "WINET_CONFIG_INVOICING_BATCH_INVOICES": "10",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "invoicing", "run", "--period", "2026-12"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def billed_once(db, contracts) -> bool:
    db.session.expire_all()
    counts = dict(
        db.session.execute(
            select(InvoiceLine.contract_id, func.count())
            .where(InvoiceLine.kind == "advance")
            .group_by(InvoiceLine.contract_id)
        ).all()
    )
    return all(counts.get(c.id) == 1 for c in contracts) and len(counts) == len(contracts)


def test_two_run_processes_started_at_once_bill_every_contract_once(migrated, db, setup):
    contracts = [setup.site_with_contract("pro", date(2026, 12, 1))[2] for _ in range(40)]
    db.session.commit()

    first, second = flask_run(migrated), flask_run(migrated)
    outputs = [process.communicate(timeout=180)[0] for process in (first, second)]

    assert first.returncode == 0 and second.returncode == 0, outputs
    assert billed_once(db, contracts)
    assert db.session.scalar(select(func.count()).select_from(BilledMonth)) == 40


def test_a_run_process_killed_halfway_and_started_again_bills_every_contract_once(
    migrated, db, setup
):
    contracts = [setup.site_with_contract("pro", date(2026, 12, 1))[2] for _ in range(150)]
    db.session.commit()

    victim = flask_run(migrated)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it once it has billed something
        db.session.expire_all()
        if db.session.scalar(select(func.count()).select_from(BilledMonth)):
            break
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    db.session.expire_all()
    billed_before = db.session.scalar(select(func.count()).select_from(BilledMonth))

    again = flask_run(migrated)
    output = again.communicate(timeout=180)[0]

    assert again.returncode == 0, output
    print(f"killed after {billed_before} of 150 contracts")
    assert 0 < billed_before <= 150
    assert billed_before % 10 == 0  # whole batches only
    assert billed_once(db, contracts)
