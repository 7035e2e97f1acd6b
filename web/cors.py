"""Cross-origin reads of the API, for the portals named in the cors_origins setting only.

Responses never allow credentials: the API is public and reads nothing from cookies.
"""

from __future__ import annotations

from flask import Flask, Response, request

from search import config


def allowed_origins(value: str | None = None) -> frozenset[str]:
    raw = config.get("cors_origins") if value is None else value
    return frozenset(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


def install(app: Flask) -> None:
    """Add Access-Control-Allow-Origin to API responses for an allowed Origin."""

    @app.after_request
    def _cors(response: Response) -> Response:
        if not request.path.startswith("/api/"):
            return response
        response.vary.add("Origin")
        origin = request.headers.get("Origin", "").rstrip("/")
        if origin and origin in app.config["CORS_ORIGINS"]:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "GET"
            response.headers["Access-Control-Max-Age"] = "600"
        return response
