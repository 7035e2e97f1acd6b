"""Security headers on every response.

The pages load only their own stylesheet and script, so the policy allows nothing from
elsewhere; the iframe page (`/embed`) may be framed by the app itself and by the portals
named in the cors_origins setting, nothing more.
"""

from __future__ import annotations

from flask import Flask, Response


def content_security_policy(frame_origins: frozenset[str]) -> str:
    ancestors = " ".join(["'self'", *sorted(frame_origins)])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            f"frame-ancestors {ancestors}",
        ]
    )


def install(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy", content_security_policy(app.config["CORS_ORIGINS"])
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Queries are in URLs: do not hand them to other sites.
        headers.setdefault("Referrer-Policy", "same-origin")
        return response
