"""Benchmark: the monthly invoice run over N sites, its SQL statements, and PDF rendering.

Creates N sites with contracts (10 % started mid-month before the period, 10 % upgraded
during it, so settlements are part of the run), runs the period and prints
- sites invoiced per second,
- SQL statements per invoice, at N and at N/10 (the two must be about equal: the run
  loads spans, catalog, ledger and customers in bulk, then writes each invoice alone),
- PDF milliseconds per invoice rendered over worker processes, beside a bare WeasyPrint
  render of the same HTML in one process (the floor per core).

Run from anywhere: python benchmarks/invoice_run.py [--n 10000] [--pdf-sample 200]
    [--processes 4] [--database postgresql://...]  (default: a temporary SQLite file)
Not a test: nothing here asserts, it reports.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

import sqlalchemy as sa  # noqa: E402

PERIOD = "2026-12"
RUN_AT = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def make_app(database_url: str):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_BACKEND": "memory",
            "FROZEN_NOW": RUN_AT,
            "INVOICING_FIRST_PERIOD": "2026-11",
            "TESTING": True,
        }
    )


def fresh_database(base_url: str | None, label: str) -> tuple[str, callable]:
    """A database URL of its own for one size, and a function that removes it."""
    if base_url and base_url.startswith("postgres"):
        schema = f"bench_{label}_{os.getpid()}"
        admin = sa.create_engine(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in base_url else "?"
        url = f"{base_url}{separator}options=-csearch_path%3D{schema}"

        def drop():
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        return url, drop
    path = Path(tempfile.mkdtemp()) / f"bench-{label}.db"
    return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)


def populate(n: int) -> None:
    """N sites with contracts, inserted in bulk (the run is measured, not the set-up)."""
    from app.database import db
    from app.models import Customer, Site, Tier
    from plugins.contracts.models import Contract, ContractTierPeriod

    tiers = {t.code: t.id for t in db.session.scalars(sa.select(Tier))}
    codes = ["pro", "premium", "pro_plus", "basic_plus", "basic"]
    now = datetime.now(UTC)
    address = {
        "street": "Bahnhofstrasse",
        "house_number": "1",
        "postal_code": "5400",
        "town": "Baden",
        "country": "CH",
        "created_at": now,
        "updated_at": now,
    }
    customers = []
    for i in range(n // 2):  # two sites per customer; every fifth customer consolidated
        customers.append(
            {
                **address,
                "number": f"K-{900000 + i}",
                "legal_name": f"Bench {i} AG",
                "billing_email": f"bench{i}@example.ch",
                "phone": "",
                "language": "de" if i % 3 else "en",
                "invoice_mode": "consolidated" if i % 5 == 0 else "per_site",
                "active": True,
            }
        )
    db.session.execute(sa.insert(Customer), customers)
    customer_ids = list(db.session.scalars(sa.select(Customer.id).order_by(Customer.id)))
    sites = [
        {
            **address,
            "customer_id": customer_ids[i // 2],
            "name": f"Site {i}",
            "canton": "AG",
            "phone": "",
            "active": True,
        }
        for i in range(n)
    ]
    db.session.execute(sa.insert(Site), sites)
    site_rows = db.session.execute(sa.select(Site.id, Site.customer_id).order_by(Site.id)).all()
    contracts = []
    for i, (site_id, customer_id) in enumerate(site_rows):
        start = date(2026, 11, 10) if i % 10 == 1 else date(2026, 1, 1)
        contracts.append(
            {
                "customer_id": customer_id,
                "site_id": site_id,
                "state": "active",
                "start_date": start,
                "origin": "manual",
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(sa.insert(Contract), contracts)
    contract_rows = db.session.execute(
        sa.select(Contract.id, Contract.start_date).order_by(Contract.id)
    ).all()
    periods = []
    for i, (contract_id, start) in enumerate(contract_rows):
        code = codes[i % len(codes)]
        if i % 10 == 2:  # upgraded to premium on 16 November
            periods.append(
                {
                    "contract_id": contract_id,
                    "tier_id": tiers["pro"],
                    "first_day": start,
                    "last_day": date(2026, 11, 15),
                    "change": "start",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            periods.append(
                {
                    "contract_id": contract_id,
                    "tier_id": tiers["premium"],
                    "first_day": date(2026, 11, 16),
                    "last_day": None,
                    "change": "upgrade",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            periods.append(
                {
                    "contract_id": contract_id,
                    "tier_id": tiers[code],
                    "first_day": start,
                    "last_day": None,
                    "change": "start",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    db.session.execute(sa.insert(ContractTierPeriod), periods)
    db.session.commit()


class StatementCounter:
    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.count += 1


def measure_run(base_url: str | None, n: int, label: str) -> dict:
    from flask_migrate import upgrade

    url, drop = fresh_database(base_url, label)
    app = make_app(url)
    try:
        with app.app_context():
            from app.database import db
            from app.seed import seed_all
            from plugins.invoicing.run import run_period

            upgrade(revision="heads")
            seed_all()
            started = time.perf_counter()
            populate(n)
            setup_seconds = time.perf_counter() - started
            with StatementCounter(db.engine) as counter:
                started = time.perf_counter()
                result = run_period(PERIOD, actor="benchmark")
                seconds = time.perf_counter() - started
            invoices = len(result.invoice_ids)
            return {
                "n": n,
                "setup_s": setup_seconds,
                "run_s": seconds,
                "invoices": invoices,
                "failures": len(result.failures),
                "statements": counter.count,
                "app": app,
                "url": url,
                "drop": drop,
                "invoice_ids": result.invoice_ids,
            }
    except BaseException:
        drop()
        raise


def measure_pdf(app, invoice_ids: list[int], sample: int, processes: int) -> dict:
    from weasyprint import HTML

    with app.app_context():
        from app.database import db
        from plugins.invoicing.documents import invoice_html
        from plugins.invoicing.issuing import issue_invoice
        from plugins.invoicing.models import Invoice
        from plugins.invoicing.rendering import render_many

        chosen = invoice_ids[:sample]
        for invoice_id in chosen:
            issue_invoice(invoice_id, actor="benchmark")
            db.session.commit()
        started = time.perf_counter()
        pages = [(i, invoice_html(db.session.get(Invoice, i))) for i in chosen]
        html_seconds = time.perf_counter() - started
        db.session.rollback()

        started = time.perf_counter()
        rendered = list(render_many(pages, processes))
        parallel_seconds = time.perf_counter() - started

        bare_sample = pages[: min(len(pages), 50)]
        started = time.perf_counter()
        for _, html in bare_sample:
            HTML(string=html).write_pdf()
        bare_seconds = time.perf_counter() - started
    return {
        "count": len(rendered),
        "html_ms": 1000 * html_seconds / len(chosen),
        "parallel_ms": 1000 * parallel_seconds / len(rendered),
        "bare_ms": 1000 * bare_seconds / len(bare_sample),
        "processes": processes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="sites with contracts")
    parser.add_argument("--pdf-sample", type=int, default=200, help="invoices to render")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()

    small = measure_run(args.database, max(args.n // 10, 50), "small")
    small["drop"]()
    big = measure_run(args.database, args.n, "big")
    try:
        backend = "PostgreSQL" if big["url"].startswith("postgres") else "SQLite"
        print(f"Invoice run for {PERIOD} on {backend}")
        for row in (small, big):
            per_invoice = row["statements"] / max(row["invoices"], 1)
            print(
                f"  N={row['n']:>6} sites: {row['invoices']:>6} invoices in {row['run_s']:6.2f} s"
                f" = {row['n'] / row['run_s']:7.1f} sites/s; {row['statements']} statements,"
                f" {per_invoice:.2f} per invoice; failures {row['failures']}"
                f" (set-up {row['setup_s']:.1f} s)"
            )
        pdf = measure_pdf(big["app"], big["invoice_ids"], args.pdf_sample, args.processes)
        print(
            f"PDF: {pdf['count']} invoices over {pdf['processes']} processes:"
            f" {pdf['parallel_ms']:.1f} ms per invoice (wall), HTML {pdf['html_ms']:.1f} ms;"
            f" bare WeasyPrint of the same HTML in one process: {pdf['bare_ms']:.1f} ms"
        )
    finally:
        big["drop"]()


if __name__ == "__main__":
    main()
