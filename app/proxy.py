"""Trust the X-Forwarded-* headers of exactly the configured number of reverse proxies."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Behind nginx (WINET_PROXY_HOPS=1) the client's address, scheme and host come from the
    proxy's headers; with 0 (the default) those headers are ignored, since any client
    could send them."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
