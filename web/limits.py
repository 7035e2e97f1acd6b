"""Per-client rate limits on the pages and the API, from the rate_limit setting (off when
empty). Counts are kept in each server worker's memory, so with N workers a client gets up
to N times the limit; a shared store would need a service the deployment does not have.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Cheap and needed by browsers, load balancers and portals: never limited.
UNLIMITED = frozenset(
    {
        "static",
        "pages.favicon",
        "pages.healthz",
        "pages.suggest_script",
        "widget.script",
        "widget.opensearch",
        "api.openapi",
    }
)


def install(app: Flask) -> Limiter | None:
    rate = (app.config.get("RATE_LIMIT") or "").strip()
    if not rate:
        return None
    return Limiter(
        get_remote_address,
        app=app,
        # one budget per client across every page and endpoint, not one per route
        application_limits=[rate],
        application_limits_exempt_when=lambda: request.endpoint in UNLIMITED,
        headers_enabled=True,  # X-RateLimit-* and, on a 429, Retry-After
        storage_uri="memory://",
    )
