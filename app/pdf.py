"""PDF rendering with WeasyPrint for quotes and invoices, sharing one letterhead.

The URL fetcher serves only the app's own static files and inline data: a template
can never make the server read a local file or call out to the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qrcode
import qrcode.image.svg
from flask import current_app, render_template
from markupsafe import Markup
from weasyprint import HTML

try:  # WeasyPrint < 68: a URL fetcher is a function returning a dict
    from weasyprint import default_url_fetcher
except ImportError:  # WeasyPrint >= 68: a URLFetcher subclass returning URLFetcherResponse
    default_url_fetcher = None

STATIC_PREFIX = "static:"


class RefusedResource(ValueError):
    pass


def safe_url_fetcher(url: str, *args: Any, **kwargs: Any) -> dict:
    if url.startswith("data:"):
        return default_url_fetcher(url, *args, **kwargs)
    if url.startswith(STATIC_PREFIX):
        static_root = Path(current_app.static_folder).resolve()
        path = (static_root / url[len(STATIC_PREFIX) :]).resolve()
        if static_root not in path.parents or not path.is_file():
            raise RefusedResource(f"no such static file: {url}")
        return {"string": path.read_bytes(), "filename": path.name}
    raise RefusedResource(f"refused to fetch {url!r} while rendering a PDF")


def letterhead() -> dict[str, str]:
    """The sender block of quotes and invoices: the company data (app.company), which the
    admin edits, never a constant."""
    from app.company import company

    return company().letterhead()


def _url_fetcher() -> Any:
    """safe_url_fetcher in the form the installed WeasyPrint expects."""
    if default_url_fetcher is not None:
        return safe_url_fetcher
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeURLFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            found = safe_url_fetcher(url)
            return URLFetcherResponse(url, found["string"])

    return SafeURLFetcher()


def render_pdf_html(html: str) -> bytes:
    return HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=_url_fetcher()).write_pdf()


def render_pdf(template: str, **context: Any) -> bytes:
    """Render a Jinja template that extends "pdf/document.html" into PDF bytes."""
    html = render_template(template, letterhead=letterhead(), **context)
    return render_pdf_html(html)


def qr_code_svg(data: str) -> Markup:
    """A QR code of `data` (e.g. a link to accept a quote) as inline SVG for a PDF."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=0)
    return Markup(image.to_string(encoding="unicode"))
