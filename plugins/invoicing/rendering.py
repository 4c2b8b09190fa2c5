"""PDF rendering spread over a long-lived pool of processes (WeasyPrint is CPU-bound and
single-threaded), started once per application process and reused by every issuing.

Workers only turn finished HTML into PDF bytes: they open no database connection, and
their minimal Flask app exists only so the host's safe URL fetcher finds static files.
Starting a pool costs about a second per process (each imports WeasyPrint and loads its
fonts), which is why it is kept, not made anew for every batch.
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from collections import deque
from collections.abc import Iterable, Iterator

from flask import Flask, current_app

from app.toolkit import render_pdf_html

# Pages handed to the pool ahead of the one awaited, per process: enough to keep every
# process busy while the caller builds the next page.
IN_FLIGHT = 3
_worker_context = None
_pool = None
_pool_key: tuple[int, str] | None = None
_pool_lock = threading.Lock()


def _init_worker(static_folder: str) -> None:
    global _worker_context
    app = Flask("invoicing_pdf_worker", static_folder=static_folder)
    _worker_context = app.app_context()
    _worker_context.push()


def _render(item: tuple[int, str]) -> tuple[int, bytes]:
    invoice_id, html = item
    return invoice_id, render_pdf_html(html)


def _shared_pool(processes: int, static_folder: str):
    """The pool of this process, made on first use (again if the size was changed)."""
    global _pool, _pool_key
    with _pool_lock:
        if _pool is None or _pool_key != (processes, static_folder):
            if _pool is not None:
                _pool.terminate()
            context = multiprocessing.get_context("spawn")
            _pool = context.Pool(processes, initializer=_init_worker, initargs=(static_folder,))
            _pool_key = (processes, static_folder)
        return _pool


def close_pool() -> None:
    global _pool, _pool_key
    with _pool_lock:
        if _pool is not None:
            _pool.terminate()
            _pool.join()
        _pool, _pool_key = None, None


atexit.register(close_pool)


def render_many(pages: Iterable[tuple[int, str]], processes: int) -> Iterator[tuple[int, bytes]]:
    """(invoice id, PDF bytes) for each (invoice id, HTML), rendered by the shared pool.

    `pages` is read as the renders go: the pool starts on the first page while the caller
    still builds the next ones (building a page's HTML, its QR code above all, is a third
    of a render), and at most a few pages per process wait in memory. PDFs come back in
    the order of `pages`."""
    pool = _shared_pool(processes, current_app.static_folder)
    in_flight: deque = deque()
    for page in pages:
        in_flight.append(pool.apply_async(_render, (page,)))
        while in_flight and (in_flight[0].ready() or len(in_flight) > IN_FLIGHT * processes):
            yield in_flight.popleft().get()
    while in_flight:
        yield in_flight.popleft().get()
