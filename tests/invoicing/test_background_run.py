"""The run from the pages and the API is a background job: queued at once, followed on a page.

With a broker configured (here Celery's in-memory transport, which no worker reads), the
request only queues; the test then plays the worker by taking the message off the queue
and running its task, as `celery worker` would.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.jobs import ONE_OFF_TASK, celery_of, enqueue_call
from app.models import Tier, TierVersion
from plugins.invoicing.jobs import RunInProgress, run_period, start_run
from plugins.invoicing.models import BilledMonth, Invoice, InvoiceLine, InvoiceRun
from tests.factories import login
from tests.invoicing.conftest import RUN_DAY

D = Decimal


@pytest.fixture
def broker_config():
    return {"FROZEN_NOW": RUN_DAY, "CELERY_BROKER_URL": "memory://"}


@pytest.fixture
def queue(app):
    """The broker's task queue: `take()` returns the queued messages, read and acked."""
    celery = celery_of(app)

    class Queue:
        def take(self) -> list[tuple[str, list, dict]]:
            taken = []
            with celery.connection_for_write() as connection:
                simple = connection.SimpleQueue("celery")
                while True:
                    try:
                        message = simple.get(block=False)
                    except simple.Empty:
                        break
                    args, kwargs, _ = message.decode()
                    taken.append((message.headers["task"], args, kwargs))
                    message.ack()
                simple.close()
            return taken

        def work(self) -> int:
            """Run every queued task, as a worker would; returns how many ran."""
            messages = self.take()
            for name, args, kwargs in messages:
                celery.tasks[name].apply(args=args, kwargs=kwargs, throw=True)
            return len(messages)

    queue = Queue()
    queue.take()  # the in-memory transport is per process: drop what earlier tests left
    return queue


def finance_headers(factories) -> dict:
    return {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}


def invoice_summary(db) -> list[tuple]:
    """What the run billed, independent of ids: customer, site, lines and totals."""
    db.session.expire_all()
    rows = []
    for invoice in db.session.scalars(select(Invoice).order_by(Invoice.customer_id)):
        lines = [
            (line.kind, line.contract_id, line.amount, line.service_start, line.service_end)
            for line in invoice.lines
        ]
        rows.append((invoice.customer_id, invoice.site_id, invoice.payable, lines))
    return rows


def failing_customer(db, setup):
    """A customer on a tier whose only catalog price starts in 2027 (December fails)."""
    gold = Tier(code="gold", rank=99)
    db.session.add(gold)
    db.session.flush()
    version = db.session.scalars(select(TierVersion)).first()
    db.session.add(
        TierVersion(
            tier=gold,
            valid_from=date(2026, 1, 1),
            name="gold",
            monthly_price=D("999.00"),
            service_windows=version.service_windows,
            reaction_kind="best_effort",
        )
    )
    db.session.commit()
    customer, _, _ = setup.site_with_contract("gold", date(2026, 12, 1), legal_name="Gold AG")
    db.session.execute(
        TierVersion.__table__.update()
        .where(TierVersion.tier_id == gold.id)
        .values(valid_from=date(2027, 1, 1))
    )
    db.session.commit()
    return customer


# --- with a broker: the request only queues -------------------------------------------


class TestWithABroker:
    @pytest.fixture
    def app_config(self, broker_config):
        return broker_config

    def test_the_run_button_queues_a_job_and_redirects_to_the_run_page(
        self, client, db, setup, factories, queue
    ):
        setup.site_with_contract("pro", date(2026, 12, 1), legal_name="Warte AG")
        login(client, factories.user("finance"))

        began = time.monotonic()
        response = client.post("/invoicing/run", data={"period": "2026-12"})
        assert time.monotonic() - began < 5

        (run,) = db.session.scalars(select(InvoiceRun)).all()
        assert response.status_code == 302
        assert response.location.endswith(f"/invoicing/runs/{run.id}")
        assert run.status == "queued" and run.period == "2026-12"
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
        page = client.get(response.location)
        assert 'data-status="queued"' in page.text
        assert 'http-equiv="refresh"' in page.text  # it follows the run by itself

        messages = queue.take()
        assert messages == [
            (ONE_OFF_TASK, ["plugins.invoicing.jobs:run_in_background", [run.id], {}], {})
        ]
        celery_of().tasks[ONE_OFF_TASK].apply(args=messages[0][1], throw=True)

        db.session.expire_all()
        run = db.session.get(InvoiceRun, run.id)
        assert run.status == "finished" and run.invoices_created == 1
        assert run.finished_at is not None and run.active_period is None
        page = client.get(f"/invoicing/runs/{run.id}")
        assert 'data-status="finished"' in page.text
        assert 'http-equiv="refresh"' not in page.text
        assert "Warte AG" in client.get("/invoicing/drafts?period=2026-12").text

    def test_the_api_answers_202_with_the_run_id_and_a_status_url(
        self, client, db, setup, factories, queue
    ):
        setup.site_with_contract("pro", date(2026, 12, 1))
        headers = finance_headers(factories)

        response = client.post(
            "/api/v1/invoicing/runs", json={"period": "2026-12"}, headers=headers
        )

        assert response.status_code == 202
        body = response.json
        assert body["status"] == "queued" and body["period"] == "2026-12"
        assert body["status_url"] == f"/api/v1/invoicing/runs/{body['run_id']}"
        status = client.get(body["status_url"], headers=headers).json
        assert status["status"] == "queued" and status["started_at"] is None
        assert status["invoices_created"] == 0 and status["invoice_ids"] == []

        assert queue.work() == 1

        status = client.get(body["status_url"], headers=headers).json
        assert status["status"] == "finished"
        assert status["invoices_planned"] == 1 and status["invoices_created"] == 1
        assert len(status["invoice_ids"]) == 1 and status["failures"] == []
        assert status["started_at"] and status["finished_at"]

    def test_a_second_start_while_queued_is_refused_politely_and_queues_nothing(
        self, client, db, setup, factories, queue
    ):
        setup.site_with_contract("pro", date(2026, 12, 1))
        login(client, factories.user("finance"))
        headers = finance_headers(factories)
        first = client.post("/invoicing/run", data={"period": "2026-12"})

        again = client.post("/invoicing/run", data={"period": "2026-12"}, follow_redirects=True)
        assert again.status_code == 200
        assert "bereits in der Warteschlange" in again.text  # German is the default
        assert "es wurde kein zweiter Lauf gestartet" in again.text
        assert again.request.path == first.location
        api = client.post("/api/v1/invoicing/runs", json={"period": "2026-12"}, headers=headers)
        assert api.status_code == 409
        assert api.json["error"] == "run_in_progress"
        (run,) = db.session.scalars(select(InvoiceRun)).all()
        assert api.json["details"]["run_id"] == run.id
        assert api.json["details"]["status_url"] == f"/api/v1/invoicing/runs/{run.id}"
        assert len(queue.take()) == 1  # one job, not three

        # Another period is not held up by it.
        other = client.post("/api/v1/invoicing/runs", json={"period": "2027-01"}, headers=headers)
        assert other.status_code == 202

    def test_a_second_start_while_running_is_refused(self, app, db, setup, queue):
        setup.site_with_contract("pro", date(2026, 12, 1))
        run = start_run("2026-12", actor="finance@winet.example")
        run.status = "running"
        db.session.commit()
        with pytest.raises(RunInProgress) as refused:
            start_run("2026-12", actor="someone@winet.example")
        assert refused.value.run.id == run.id
        assert db.session.scalar(select(func.count()).select_from(InvoiceRun)) == 1

    def test_a_run_whose_job_died_no_longer_blocks_its_period(self, app, db, setup, queue):
        setup.site_with_contract("pro", date(2026, 12, 1))
        dead = start_run("2026-12")
        dead.status = "running"
        dead.updated_at = RUN_DAY - timedelta(minutes=20)
        db.session.commit()
        queue.take()

        fresh = start_run("2026-12")

        db.session.expire_all()
        dead = db.session.get(InvoiceRun, dead.id)
        assert dead.status == "failed" and "no progress since" in dead.error
        assert fresh.status == "queued" and fresh.active_period == "2026-12"

    def test_a_job_whose_run_is_no_longer_queued_does_nothing(self, app, db, setup, queue):
        setup.site_with_contract("pro", date(2026, 12, 1))
        stale = start_run("2026-12")
        stale.updated_at = RUN_DAY - timedelta(hours=1)
        db.session.commit()
        start_run("2026-12")  # gives the stale one up and queues another

        assert queue.work() == 2  # the old message arrives late; only the new run bills

        db.session.expire_all()
        runs = db.session.scalars(select(InvoiceRun).order_by(InvoiceRun.id)).all()
        assert [r.status for r in runs] == ["failed", "finished"]
        assert runs[0].invoices_created == 0 and runs[1].invoices_created == 1
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1

    def test_a_broker_that_cannot_take_the_job_leaves_no_run_queued(
        self, app, db, setup, monkeypatch
    ):
        task = celery_of(app).tasks[ONE_OFF_TASK]

        def unreachable(*args, **kwargs):
            raise ConnectionError("broker down")

        monkeypatch.setattr(task, "delay", unreachable)
        with pytest.raises(ConnectionError):
            start_run("2026-12")
        (run,) = db.session.scalars(select(InvoiceRun)).all()
        assert run.status == "failed" and "broker down" in run.error
        assert run.active_period is None


# --- without a broker: the job runs in-process ----------------------------------------


def test_the_job_bills_the_same_invoices_as_the_synchronous_run(app, db, setup, factories):
    setup.site_with_contract("pro", date(2026, 12, 1))
    setup.site_with_contract("premium", date(2026, 11, 10))
    consolidated = setup.customer(invoice_mode="consolidated")
    for tier in ("pro", "basic_plus"):
        setup.contract(setup.site(consolidated), tier, date(2026, 12, 1))

    synchronous = run_period("2026-12")
    expected = invoice_summary(db)
    ledger = db.session.scalar(select(func.count()).select_from(BilledMonth))
    assert len(synchronous.invoice_ids) == 3
    # Start over: the same data billed by the job instead.
    db.session.execute(InvoiceLine.__table__.delete())
    db.session.execute(BilledMonth.__table__.delete())
    db.session.execute(Invoice.__table__.delete())
    db.session.commit()

    run = start_run("2026-12", actor="finance@winet.example")

    assert run.status == "finished" and run.invoices_created == 3
    assert invoice_summary(db) == expected
    assert db.session.scalar(select(func.count()).select_from(BilledMonth)) == ledger
    assert {i.run_id for i in db.session.scalars(select(Invoice))} == {run.id}


def test_a_failing_customer_appears_in_the_runs_failures_with_its_reason(
    client, db, setup, factories
):
    good = setup.site_with_contract("pro", date(2026, 12, 1), legal_name="Gute AG")[0]
    bad = failing_customer(db, setup)
    login(client, factories.user("finance"))

    response = client.post("/invoicing/run", data={"period": "2026-12"})

    (run,) = db.session.scalars(select(InvoiceRun)).all()
    assert run.status == "finished" and run.invoices_created == 1
    assert [f["customer_id"] for f in run.failures] == [bad.id]
    assert "keinen Katalogpreis" in run.failures[0]["reason"]
    assert [i.customer_id for i in db.session.scalars(select(Invoice))] == [good.id]
    page = client.get(response.location)
    assert "Gold AG" in page.text and "keinen Katalogpreis" in page.text
    status = client.get(f"/api/v1/invoicing/runs/{run.id}", headers=finance_headers(factories)).json
    assert status["invoices_created"] == 1
    (failure,) = status["failures"]
    assert failure["customer_id"] == bad.id and failure["customer_name"] == "Gold AG"
    assert "keinen Katalogpreis" in failure["reason"] and failure["step"] == "billing"


def test_the_run_keeps_its_counts_up_to_date_while_it_works(app, db, setup, monkeypatch):
    from plugins.invoicing import jobs

    for _ in range(3):
        setup.site_with_contract("pro", date(2026, 12, 1))
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0.0)
    monkeypatch.setitem(app.config, "INVOICING_BATCH_INVOICES", 1)
    seen = []
    real_write = jobs.write_invoices

    def bill_and_look(plans, *, run_id, **kwargs):
        # What another request (the run page) would read now, in a separate connection.
        with db.engine.connect() as connection:
            row = connection.execute(
                select(
                    InvoiceRun.status, InvoiceRun.invoices_planned, InvoiceRun.invoices_created
                ).where(InvoiceRun.id == run_id)
            ).one()
        seen.append(tuple(row))
        return real_write(plans, run_id=run_id, **kwargs)

    monkeypatch.setattr(jobs, "write_invoices", bill_and_look)

    run = start_run("2026-12")

    assert seen == [("running", 3, 0), ("running", 3, 1), ("running", 3, 2)]
    assert run.status == "finished" and run.invoices_created == 3


def test_a_run_that_breaks_is_recorded_as_failed_with_the_error(app, db, setup, monkeypatch):
    from plugins.invoicing import jobs

    setup.site_with_contract("pro", date(2026, 12, 1))

    def broken(*args, **kwargs):
        raise RuntimeError("the tier catalog is unreadable")

    monkeypatch.setattr(jobs, "load_period", broken)

    run = start_run("2026-12")

    assert run.status == "failed" and run.finished_at is not None
    assert "the tier catalog is unreadable" in run.error
    assert run.active_period is None  # the period can be run again
    monkeypatch.undo()
    assert start_run("2026-12").status == "finished"


def test_a_finished_run_does_not_block_the_next_one_and_bills_nothing_twice(
    client, db, setup, factories
):
    setup.site_with_contract("pro", date(2026, 12, 1))
    headers = finance_headers(factories)
    first = client.post("/api/v1/invoicing/runs", json={"period": "2026-12"}, headers=headers)
    second = client.post("/api/v1/invoicing/runs", json={"period": "2026-12"}, headers=headers)
    assert first.status_code == second.status_code == 202
    counts = [
        client.get(r.json["status_url"], headers=headers).json["invoices_created"]
        for r in (first, second)
    ]
    assert counts == [1, 0]


def test_the_run_page_and_status_are_for_finance_only(client, db, setup, factories):
    setup.site_with_contract("pro", date(2026, 12, 1))
    run = start_run("2026-12")
    login(client, factories.user("account_manager"))
    assert client.get(f"/invoicing/runs/{run.id}").status_code == 403
    assert client.post("/invoicing/run", data={"period": "2026-12"}).status_code == 403
    token = factories.token(factories.user("customer", customer=setup.customer()))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/invoicing/runs/{run.id}", headers=headers).status_code == 403
    finance = finance_headers(factories)
    assert client.get("/api/v1/invoicing/runs/999999", headers=finance).status_code == 404
    client.post("/logout")
    login(client, factories.user("finance"))
    assert client.get("/invoicing/runs/999999").status_code == 404


def test_only_marked_functions_can_be_enqueued(app):
    from app.plugins import PluginError

    with pytest.raises(PluginError, match="not a one-off job"):
        enqueue_call("plugins.invoicing.jobs:run_period", "2026-12")


def test_in_process_scheduler_mode_runs_the_job_in_a_worker_thread(app, db, setup):
    setup.site_with_contract("pro", date(2026, 12, 1))
    app.config["INPROCESS_SCHEDULER"] = True
    try:
        run = start_run("2026-12")
        assert run.status in ("queued", "running", "finished")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(InvoiceRun, run.id).status == "finished":
                break
            time.sleep(0.05)
    finally:
        app.config["INPROCESS_SCHEDULER"] = False
    db.session.expire_all()
    run = db.session.get(InvoiceRun, run.id)
    assert run.status == "finished" and run.invoices_created == 1
