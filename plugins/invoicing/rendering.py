"""PDF rendering spread over worker processes (WeasyPrint is CPU-bound and single-threaded).

Workers only turn finished HTML into PDF bytes: they open no database connection, and
their minimal Flask app exists only so the host's safe URL fetcher finds static files.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator

_worker_context = None


def _init_worker(static_folder: str) -> None:
    global _worker_context
    from flask import Flask

    app = Flask("invoicing_pdf_worker", static_folder=static_folder)
    _worker_context = app.app_context()
    _worker_context.push()


def _render(item: tuple[int, str]) -> tuple[int, bytes]:
    from app.toolkit import render_pdf_html

    invoice_id, html = item
    return invoice_id, render_pdf_html(html)


def render_many(pages: Iterable[tuple[int, str]], processes: int) -> Iterator[tuple[int, bytes]]:
    """(invoice id, PDF bytes) for each (invoice id, HTML), rendered by `processes` workers."""
    from flask import current_app

    pages = list(pages)
    context = multiprocessing.get_context("spawn")
    with context.Pool(
        processes, initializer=_init_worker, initargs=(current_app.static_folder,)
    ) as pool:
        yield from pool.imap_unordered(
            _render, pages, chunksize=max(1, len(pages) // (processes * 4))
        )
