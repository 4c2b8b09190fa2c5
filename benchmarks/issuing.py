"""Benchmark: issuing N invoices with PDFs through the real path, against a bare render.

Bills N drafts, then issues them as the issuing job does (plugins/invoicing/jobs.py
issue_invoices: number, QR reference and QR-bill check per invoice in its own transaction,
then the PDFs on the long-lived rendering pool, each stored and its e-mail queued). The
floor, in the same run: a bare WeasyPrint render (render_pdf_html) of the same invoices'
HTML, one after the other in this one process.

Prints, for both, invoices per second, the CPU seconds used (this process and the pool's
processes, read from /proc) and invoices per CPU-second; and the issuing path's throughput
per core used (per wall-clock core: rate / processes, and per CPU-second) as a share of
the floor's. Goal: >= 0.9 of the floor per core used.

    python benchmarks/issuing.py [--invoices 1000] [--processes 2]
        [--database postgresql://...]  (default: a temporary SQLite file)
Not a test: nothing here asserts, it reports.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from invoice_run import PERIOD, fresh_database, make_app, populate  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_of_this_and_pool() -> float:
    return time.process_time() + sum(
        cpu_seconds(child.pid) for child in multiprocessing.active_children()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="rendering pool size"
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()

    from flask_migrate import upgrade

    url, drop = fresh_database(args.database, "issuing")
    app = make_app(url)
    app.config["INVOICING_PDF_PROCESSES"] = args.processes
    try:
        with app.app_context():
            from flask import current_app
            from sqlalchemy import select

            from app.database import db
            from app.seed import seed_all
            from app.toolkit import render_pdf_html
            from plugins.invoicing import rendering
            from plugins.invoicing.documents import invoice_html
            from plugins.invoicing.jobs import issue_invoices, run_period
            from plugins.invoicing.models import Invoice

            upgrade(revision="heads")
            seed_all()
            db.session.commit()
            populate(2 * math.ceil(args.invoices / 1.4) + 2)  # 0.7 invoices per site, even
            ids = sorted(run_period(PERIOD, actor="benchmark").invoice_ids)[: args.invoices]
            # Warm, as in a long-running worker: the pool's processes started, fonts loaded.
            warm = db.session.get(Invoice, ids[0])
            html = invoice_html(warm)
            db.session.rollback()
            render_pdf_html(html)
            if args.processes > 1:
                pool = rendering._shared_pool(args.processes, current_app.static_folder)
                pool.map(rendering._render, [(0, html)] * args.processes)

            # The database server's process serving this session (PostgreSQL only): its CPU
            # is on the same cores, but is neither the issuing path's nor the floor's.
            server_pid = (
                db.session.scalar(db.text("SELECT pg_backend_pid()"))
                if url.startswith("postgres")
                else None
            )
            server_cpu = cpu_seconds(server_pid) if server_pid else 0.0
            started, cpu, own = time.perf_counter(), cpu_of_this_and_pool(), time.process_time()
            result = issue_invoices(ids, actor="benchmark", processes=args.processes)
            issuing_s = time.perf_counter() - started
            issuing_cpu = cpu_of_this_and_pool() - cpu
            own_cpu = time.process_time() - own
            server_cpu = cpu_seconds(server_pid) - server_cpu if server_pid else None
            stored = db.session.scalar(
                select(db.func.count(Invoice.id)).where(
                    Invoice.id.in_(ids), Invoice.pdf_rendered_at.is_not(None)
                )
            )

            # The floor: the same invoices' HTML (now with number and QR-bill), rendered
            # bare in this process, one after the other.
            pages = [invoice_html(db.session.get(Invoice, i)) for i in ids]
            db.session.rollback()
            started, cpu = time.perf_counter(), time.process_time()
            for page in pages:
                render_pdf_html(page)
            floor_s = time.perf_counter() - started
            floor_cpu = time.process_time() - cpu
            rendering.close_pool()
    finally:
        drop()

    n = len(ids)
    issuing_rate, floor_rate = n / issuing_s, n / floor_s
    print(
        f"Issuing {n} invoices (number, QR-bill, PDF, e-mail queued) on"
        f" {'PostgreSQL' if url.startswith('postgres') else 'SQLite'},"
        f" rendering pool of {args.processes} processes, {os.cpu_count()} cores"
    )
    print(
        f"  issuing path: {issuing_s:7.2f} s = {issuing_rate:6.1f} invoices/s;"
        f" {issuing_cpu:6.1f} CPU s = {n / issuing_cpu:5.2f} invoices per CPU-second;"
        f" {len(result.issued_numbers)} issued, {stored} PDFs stored,"
        f" {len(result.failures)} failures"
    )
    print(
        f"    of which the issuing process {own_cpu:6.1f} CPU s ({own_cpu / n * 1000:.0f} ms per"
        f" invoice: numbers, pages, QR codes, storing, e-mails), the rendering pool"
        f" {issuing_cpu - own_cpu:6.1f} CPU s"
    )
    if server_cpu is not None:
        print(
            f"    and the PostgreSQL server process, on the same cores, {server_cpu:6.1f} CPU s"
            f" ({server_cpu / n * 1000:.0f} ms per invoice; not counted above)"
        )
    print(
        f"  floor (bare WeasyPrint render of the same HTML, 1 process): {floor_s:7.2f} s"
        f" = {floor_rate:6.1f} invoices/s; {floor_cpu:6.1f} CPU s ="
        f" {n / floor_cpu:5.2f} invoices per CPU-second"
    )
    print(
        f"  per core used: {issuing_rate / args.processes / floor_rate:.2f} of the floor"
        f" (wall clock, {args.processes} cores);"
        f" {(n / issuing_cpu) / (n / floor_cpu):.2f} of the floor (per CPU-second); goal 0.9"
    )


if __name__ == "__main__":
    main()
