"""Search on other sites: widget script, iframe page, CORS, OpenSearch, Atom, OpenAPI."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from search.query.request import MAX_QUERY_CHARS
from web import create_app

PORTAL = "http://portal.example.gov.cn"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def app(sample_index: Path) -> Flask:
    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "CORS_ORIGINS": PORTAL})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_widget_script(client: FlaskClient) -> None:
    with client.get("/embed.js") as response:
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        script = response.get_data(as_text=True)
    assert "[data-govsearch]" in script and "attachShadow" in script and "/api/search?" in script
    assert f"var MAX_QUERY_CHARS = {MAX_QUERY_CHARS};" in script  # the service's own limit
    unchanged = client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]})
    assert unchanged.status_code == 304


def test_iframe_page_links_open_in_the_top_window(client: FlaskClient) -> None:
    page = client.get("/embed", query_string={"q": "扬尘污染防治"}).get_data(as_text=True)
    assert "<mark>扬尘污染防治</mark>" in page and 'class="masthead"' not in page
    assert 'href="http://localhost/docs/' in page and 'target="_top"' in page
    assert client.get("/embed", query_string={"q": "x", "size": "0"}).status_code == 400


def test_iframe_page_links_to_every_result_at_the_pages_own_size(client: FlaskClient) -> None:
    asked = {"q": "法治", "size": "3", "page": "2", "sort": "date"}
    page = client.get("/embed", query_string=asked).get_data(as_text=True)
    link = re.search(r'<a href="([^"]*)" target="_top">查看全部结果</a>', page)
    assert link is not None
    target = link.group(1).replace("&amp;", "&")
    assert target.startswith("http://localhost/search?") and "sort=date" in target
    assert "size=" not in target and "page=" not in target


def test_cors_only_for_configured_origins(client: FlaskClient, sample_index: Path) -> None:
    allowed = client.get("/api/search?q=法治", headers={"Origin": PORTAL})
    assert allowed.headers["Access-Control-Allow-Origin"] == PORTAL
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/api/search?q=法治", headers={"Origin": "http://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    default = create_app({"TESTING": True, "INDEX_DIR": str(sample_index)}).test_client()
    response = default.get("/api/search?q=法治", headers={"Origin": PORTAL})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    templates = {u.get("type"): u.get("template") for u in root.iter() if u.tag.endswith("Url")}
    assert templates["text/html"] == "http://localhost/search?q={searchTerms}"
    follow = (
        templates["text/html"].replace("{searchTerms}", "法治").removeprefix("http://localhost")
    )
    assert client.get(follow).status_code == 200


def test_atom_feed_is_newest_first_and_escaped(client: FlaskClient) -> None:
    response = client.get("/search.atom", query_string={"q": "管理", "page": "3"})
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) > 1
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)
    summaries = [e.findtext(f"{ATOM}summary") or "" for e in entries]
    assert any("<mark>" in s for s in summaries)  # HTML, carried as escaped text
    filtered = ET.fromstring(client.get("/search.atom?q=管理&year=2021").data)
    assert all(
        e.findtext(f"{ATOM}updated", "").startswith(("2021", "2022"))
        for e in filtered.findall(f"{ATOM}entry")
    )


def _validator(client: FlaskClient) -> tuple[dict[str, Any], Any]:
    spec = client.get("/api/openapi.json").get_json()
    return spec, lambda ref: Draft202012Validator({**spec, "$ref": ref})


def _schema_ref(spec: dict[str, Any], path: str, status: int) -> str:
    response = spec["paths"][path]["get"]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]["$ref"]


@pytest.mark.parametrize(
    ("path", "url", "status"),
    [
        ("/api/search", "/api/search?q=法治&size=3", 200),
        ("/api/search", "/api/search?q=营商环竟", 200),
        ("/api/search", "/api/search?q=夫妻一方所欠债务，谁偿还？&collapse=false", 200),
        ("/api/search", "/api/search?q=x&size=500", 400),
        ("/api/search", "/api/search?q=管理&from=2020-01-01&to=2021-12-31&sort=date_asc", 200),
        ("/api/search", "/api/search?q=阳政发[2021]3号&scope=number", 200),
        ("/api/search", "/api/search?q=x&from=2021-02-30", 400),
        ("/api/search", "/api/search?q=yshj", 200),
        ("/api/suggest", "/api/suggest?q=yshj", 200),
        ("/api/suggest", "/api/suggest?q=营&limit=20", 200),
        ("/api/suggest", "/api/suggest?q=营&limit=0", 400),
        ("/api/docs/{doc_id}", "/api/docs/000_cd729ddf2f2831ef", 200),
        ("/api/docs/{doc_id}", "/api/docs/none", 404),
        ("/api/sections/{section_id}", "/api/sections/000_cd729ddf2f2831ef:s-2", 200),
        ("/api/sections/{section_id}", "/api/sections/none:s-1", 404),
        ("/api/hot", "/api/hot?limit=5&days=7", 200),
        ("/api/hot", "/api/hot?limit=0", 400),
    ],
)
def test_responses_match_the_openapi_document(
    client: FlaskClient, path: str, url: str, status: int
) -> None:
    spec, validator = _validator(client)
    response = client.get(url)
    assert response.status_code == status
    validator(_schema_ref(spec, path, status)).validate(response.get_json())


def test_openapi_document_is_complete(client: FlaskClient) -> None:
    spec, validator = _validator(client)
    Draft202012Validator.check_schema({"$defs": spec["components"]["schemas"]})
    assert set(spec["paths"]) == {
        "/api/search",
        "/api/suggest",
        "/api/docs/{doc_id}",
        "/api/sections/{section_id}",
        "/api/hot",
    }
    suggest = spec["paths"]["/api/suggest"]["get"]["parameters"]
    assert {p["name"] for p in suggest} == {"q", "limit"}
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {
        "q", "agency", "year", "topic", "kind", "sort", "page", "size", "collapse", "doc",
        "from", "to", "scope",
    }  # fmt: skip
    # a response missing a field fails validation: the schemas are strict enough to matter
    body = client.get("/api/search?q=法治").get_json()
    del body["hits"][0]["url"]
    assert not validator(_schema_ref(spec, "/api/search", 200)).is_valid(body)


def test_the_widget_page_is_titled_by_its_query_or_by_the_service(client: FlaskClient) -> None:
    def title(url: str) -> str:
        page = client.get(url).get_data(as_text=True)
        return re.findall(r"<title>(.*?)</title>", page)[0]

    assert title("/embed?q=法治") == "法治 - 政府文件检索"
    assert title("/embed") == title("/embed?q=") == "政府文件检索"
    assert title("/embed?page=0") == "政府文件检索"  # a bad parameter, nothing asked


def test_every_operation_documents_what_any_request_may_get(client: FlaskClient) -> None:
    spec, validator = _validator(client)
    examples = {
        "/api/search": "/api/search?q=法治",
        "/api/suggest": "/api/suggest?q=营",
        "/api/docs/{doc_id}": "/api/docs/000_cd729ddf2f2831ef",
        "/api/sections/{section_id}": "/api/sections/000_cd729ddf2f2831ef:s-2",
        "/api/hot": "/api/hot",
    }
    assert set(examples) == set(spec["paths"])
    for path, url in examples.items():
        assert {"405", "414", "429", "431"} <= set(spec["paths"][path]["get"]["responses"])
        posted = client.post(url)
        assert posted.status_code == 405, url
        validator(_schema_ref(spec, path, 405)).validate(posted.get_json())
