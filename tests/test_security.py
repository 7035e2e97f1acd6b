"""Security headers on every response: pages, API, errors, the iframe page."""

from __future__ import annotations

import re
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
        assert "style=" not in page and "<style" not in page
        # scripts only from the service's own files, none inline
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
        assert all(re.search(r'src="/', attrs) and not body.strip() for attrs, body in scripts)


def test_rate_limit_answers_429_with_retry_after(sample_index: Path) -> None:
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "RATE_LIMIT": "3/minute"})
    client = app.test_client()
    assert [client.get("/api/search?q=法治").status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/search?q=法治")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    body = refused.get_json()
    assert body["ok"] is False and body["status"] == 429 and "Retry-After" in body["error"]
    page = client.get("/search?q=法治")
    assert page.status_code == 429 and "请求过于频繁" in page.get_data(as_text=True)
    # health checks, the widget script and static files are never limited
    for url in ("/healthz", "/embed.js", "/static/style.css"):
        with client.get(url) as response:
            assert response.status_code == 200, url
    # another client address has its own count
    other = client.get("/api/search?q=法治", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200


def test_no_rate_limit_unless_set(client: FlaskClient) -> None:
    assert {client.get("/api/search?q=法治").status_code for _ in range(30)} == {200}


def test_behind_a_proxy_clients_are_told_apart(sample_index: Path) -> None:
    settings = {"INDEX_DIR": str(sample_index), "RATE_LIMIT": "2/minute", "PROXY_HOPS": "1"}
    client = create_app({"TESTING": True, **settings}).test_client()

    def via_proxy(address: str) -> int:
        headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
        return client.get("/api/search?q=法治", headers=headers).status_code

    assert [via_proxy("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert via_proxy("198.51.100.9") == 200
    hit = client.get(
        "/api/search?q=法治",
        headers={
            "X-Forwarded-For": "192.0.2.1",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "search.example.gov.cn",
        },
    ).get_json()["hits"][0]
    assert hit["url"].startswith("https://search.example.gov.cn/docs/")
