"""Benchmark: WeasyPrint render time of issued invoices, qrbill's QR code against the app's.

Issues a few invoices in a temporary database, builds each invoice's HTML twice, with the
payment part as qrbill draws it (one square per module) and as the app draws it now (one
1-bit picture of the symbol, a pixel a module), and renders both through the app's own
PDF renderer, alternating old and new so both see the same machine. Prints milliseconds
per invoice (median and best of the repetitions) for both, and their ratio; also the time
to build the invoice HTML with its payment part, and, as the floor, the render without
any QR code (the picture removed), which shows what the QR code still costs.

Run from anywhere: python benchmarks/pdf_render.py [--invoices 5] [--repetitions 7]
    [--database postgresql://...]  (default: a temporary SQLite file)
Not a test: nothing here asserts, it reports.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from invoice_run import PERIOD, fresh_database, make_app, populate  # noqa: E402

WITHOUT_QR_CODE = re.compile(r'<image [^>]*xlink:href="data:image/png;base64,[^"]*"[^>]*>')


@contextmanager
def qrbill_as_is() -> Iterator[None]:
    """Let payment_part_svg draw the QR code exactly as qrbill does (the former output)."""
    from qrbill import QRBill

    from plugins.invoicing import payment_part

    merged = payment_part._WinetQRBill

    class QrbillAsIs(merged):
        qr_image = QRBill.qr_image
        draw_swiss_cross = QRBill.draw_swiss_cross

    payment_part._WinetQRBill = QrbillAsIs
    try:
        yield
    finally:
        payment_part._WinetQRBill = merged


def issued_invoices(count: int) -> list:
    from app.database import db
    from plugins.invoicing.issuing import issue_invoice
    from plugins.invoicing.jobs import run_period
    from plugins.invoicing.models import Invoice

    populate(max(count, 2) * 2)  # two sites per customer; some consolidated
    ids = run_period(PERIOD, actor="benchmark").invoice_ids[:count]
    for invoice_id in ids:
        issue_invoice(invoice_id, actor="benchmark")
    db.session.commit()
    return [db.session.get(Invoice, invoice_id) for invoice_id in ids]


def milliseconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return 1000 * (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=5, help="invoices rendered per repetition")
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()

    from flask_migrate import upgrade

    url, drop = fresh_database(args.database, "pdf")
    app = make_app(url)
    try:
        with app.app_context():
            from app.database import db
            from app.seed import seed_all
            from app.toolkit import render_pdf_html
            from plugins.invoicing.documents import invoice_html

            upgrade(revision="heads")
            seed_all()
            db.session.commit()
            invoices = issued_invoices(args.invoices)
            svg_ms = {"qrbill": [], "merged": []}
            pages = {"qrbill": [], "merged": []}
            for invoice in invoices:
                with qrbill_as_is():
                    svg_ms["qrbill"].append(
                        milliseconds(lambda i=invoice: pages["qrbill"].append(invoice_html(i)))
                    )
                svg_ms["merged"].append(
                    milliseconds(lambda i=invoice: pages["merged"].append(invoice_html(i)))
                )
            # The payment part's one picture is the QR code.
            pages["none"] = [WITHOUT_QR_CODE.sub("", html, count=1) for html in pages["merged"]]
            if pages["none"] == pages["merged"]:
                raise SystemExit("the QR code's picture was not found in the invoice HTML")
            render_pdf_html(pages["merged"][0])  # warm-up: fonts and caches, not counted

            per_invoice = {variant: [] for variant in pages}
            for _ in range(args.repetitions):
                totals = dict.fromkeys(pages, 0.0)
                for index in range(len(invoices)):
                    for variant in pages:
                        html = pages[variant][index]
                        totals[variant] += milliseconds(lambda html=html: render_pdf_html(html))
                for variant, total in totals.items():
                    per_invoice[variant].append(total / len(invoices))
    finally:
        drop()

    print(
        f"WeasyPrint render of {len(invoices)} issued invoices (2 pages each, the second the"
        f" QR-bill payment part), {args.repetitions} repetitions, the variants interleaved:"
    )
    labels = {
        "qrbill": "qrbill's QR code (a square per module)",
        "merged": "one picture, a pixel a module",
        "none": "no QR code at all (floor)",
    }
    for variant, label in labels.items():
        times = per_invoice[variant]
        html = f"; HTML {statistics.median(svg_ms[variant]):5.1f} ms" if variant in svg_ms else ""
        print(
            f"  {label:<40} median {statistics.median(times):6.1f} ms per invoice,"
            f" best {min(times):6.1f} ms{html}"
        )
    ratio = statistics.median(per_invoice["qrbill"]) / statistics.median(per_invoice["merged"])
    saved = statistics.median(per_invoice["qrbill"]) - statistics.median(per_invoice["merged"])
    floor = statistics.median(per_invoice["none"])
    print(f"  old / new = {ratio:.2f} (median), {saved:.1f} ms saved per invoice")
    print(
        "  the QR code's share of the render:"
        f" {1 - floor / statistics.median(per_invoice['qrbill']):.0%} before,"
        f" {1 - floor / statistics.median(per_invoice['merged']):.0%} now"
    )


if __name__ == "__main__":
    main()
