"""Benchmark: the monthly invoice run over N sites against a bare bulk insert of its rows.

Creates N sites with contracts (10 % started mid-month before the period, 10 % upgraded
during it, so settlements are part of the run), runs the period and prints
- site-invoices per second (sites billed per second of the run),
- SQL statements per invoice, at N and at N/10 (they must not grow with N),
- the floor: a bare bulk insert (executemany, one transaction) of exactly the rows the
  run wrote (invoices, lines, ledger rows, audit entries), measured in the same run,
  and the run's time as a multiple of it; on PostgreSQL also a bare COPY of them (the
  stricter floor: the run itself writes with COPY there),
- the CPU time of this process during the run (the Python side; the rest is waiting on
  the database, or on a busy machine for a core),
- the peak resident memory of the process.

Run from anywhere: python benchmarks/invoice_run.py [--n 10000]
    [--database postgresql://...]  (default: a temporary SQLite file)
Not a test: nothing here asserts, it reports.
"""

from __future__ import annotations

import argparse
import os
import resource
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
            from plugins.invoicing.jobs import run_period

            upgrade(revision="heads")
            seed_all()
            db.session.commit()
            started = time.perf_counter()
            populate(n)
            setup_seconds = time.perf_counter() - started
            with StatementCounter(db.engine) as counter:
                started, cpu = time.perf_counter(), time.process_time()
                result = run_period(PERIOD, actor="benchmark")
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            invoices = len(result.invoice_ids)
            return {
                "n": n,
                "setup_s": setup_seconds,
                "run_s": seconds,
                "cpu_s": cpu,
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


RUN_TABLES = (
    "invoicing_invoice",
    "invoicing_invoice_line",
    "invoicing_billed_month",
    "invoicing_billed_charge",
    "core_audit_entry",
)


def measure_floor(app) -> dict:
    """Read back every row the run wrote, delete them, and time inserting them again:
    once with a bare executemany of INSERTs (one transaction), once with a bare COPY
    (PostgreSQL): what writing these rows costs at the least."""
    with app.app_context():
        from app.database import db

        tables = [db.metadata.tables[name] for name in RUN_TABLES]
        with db.engine.begin() as connection:
            rows = {
                t.name: [dict(r._mapping) for r in connection.execute(sa.select(t))] for t in tables
            }

        def clear():
            with db.engine.begin() as connection:
                for table in reversed(tables):
                    connection.execute(table.delete())

        clear()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            for table in tables:
                if rows[table.name]:
                    connection.execute(table.insert(), rows[table.name])
        seconds = time.perf_counter() - started
        copy_seconds = None
        if db.engine.dialect.name == "postgresql":
            clear()
            copy_seconds = copy_floor(db.engine, tables, rows)
    return {
        "seconds": seconds,
        "copy_seconds": copy_seconds,
        "rows": {name: len(found) for name, found in rows.items()},
    }


def copy_floor(engine, tables, rows) -> float:
    """Bare COPY of the rows (values already as the driver takes them), one transaction."""
    import json

    prepared = {
        table.name: (
            [c.key for c in table.columns],
            [
                [
                    json.dumps(row[c.key])
                    if isinstance(c.type, sa.JSON) and row[c.key] is not None
                    else row[c.key]
                    for c in table.columns
                ]
                for row in rows[table.name]
            ],
        )
        for table in tables
    }
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        with raw.cursor() as cursor:
            for table in tables:
                names, values = prepared[table.name]
                with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                    for value in values:
                        copy.write_row(value)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="sites with contracts")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()

    small = measure_run(args.database, max(args.n // 10, 50), "small")
    small["drop"]()
    big = measure_run(args.database, args.n, "big")
    rss = peak_rss_mb()
    try:
        backend = "PostgreSQL" if big["url"].startswith("postgres") else "SQLite"
        print(f"Invoice run for {PERIOD} on {backend}")
        for row in (small, big):
            per_invoice = row["statements"] / max(row["invoices"], 1)
            print(
                f"  N={row['n']:>6} sites: {row['invoices']:>6} invoices in {row['run_s']:6.2f} s"
                f" = {row['n'] / row['run_s']:7.1f} site-invoices/s; {row['statements']}"
                f" statements, {per_invoice:.3f} per invoice; failures {row['failures']}"
                f" (set-up {row['setup_s']:.1f} s); CPU of this process in the run"
                f" {row['cpu_s']:.2f} s"
            )
        floor = measure_floor(big["app"])
        written = ", ".join(f"{count} {name}" for name, count in floor["rows"].items())
        print(
            f"Floor: a bare bulk insert of the same rows ({written}) takes"
            f" {floor['seconds']:.2f} s; the run takes {big['run_s'] / floor['seconds']:.2f}x that"
        )
        if floor["copy_seconds"]:
            print(
                f"Floor with COPY: a bare COPY of the same rows takes {floor['copy_seconds']:.2f} s;"
                f" the run takes {big['run_s'] / floor['copy_seconds']:.2f}x that"
            )
        print(f"Peak resident memory of this process: {rss:.0f} MB")
    finally:
        big["drop"]()


if __name__ == "__main__":
    main()
