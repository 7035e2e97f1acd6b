"""Security headers on every response: pages, API, errors, the iframe page."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from web import create_app

PORTAL = "https://www.example.gov.cn"
URLS = [
    "/",
    "/search?q=法治",
    "/docs/000_cd729ddf2f2831ef",
    "/api/search?q=法治",
    "/embed?q=法治",
    "/search.atom?q=法治",
    "/no-such-page",
    "/api/no-such-endpoint",
    "/search?q=x&page=0",
]


@pytest.fixture
def client(sample_index: Path) -> FlaskClient:
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "CORS_ORIGINS": PORTAL})
    return app.test_client()


@pytest.mark.parametrize("url", URLS)
def test_every_response_carries_the_headers(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == f"'self' {PORTAL}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_without_portals_only_the_app_may_frame_it(sample_index: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(sample_index)}).test_client()
    policy = client.get("/embed?q=法治").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "frame-ancestors 'self' " not in policy


def test_pages_need_no_inline_script_or_style(client: FlaskClient) -> None:
    for url in ("/", "/search?q=法治", "/docs/000_cd729ddf2f2831ef?q=法治", "/embed?q=法治"):
        page = client.get(url).get_data(as_text=True)
        assert "<script" not in page and "style=" not in page and "<style" not in page
