"""The JSON API: one envelope for success and for every error a client can cause."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web import create_app, refused_response

HIT_KEYS = {
    "id", "doc_id", "title", "agency", "year", "topic", "date", "heading", "breadcrumb",
    "url", "passages", "more_sections", "kind",
}  # fmt: skip


def _json(client: FlaskClient, url: str, **params: Any) -> tuple[int, dict[str, Any]]:
    response = client.get(url, query_string=params)
    assert response.mimetype == "application/json"
    return response.status_code, response.get_json()


def test_search_envelope(client: FlaskClient) -> None:
    status, body = _json(client, "/api/search", q="法治", size=3)
    assert status == 200 and body["ok"] is True
    assert body["total"] >= len(body["hits"]) > 0 and body["page"] == 1 and body["size"] == 3
    assert isinstance(body["took_ms"], float) and body["suggestion"] is None
    for hit in body["hits"]:
        assert set(hit) >= HIT_KEYS
        assert any("<mark>" in p for p in hit["passages"])
    assert set(body["facets"]) == {"agency", "year", "topic", "kind"}
    for values in body["facets"].values():
        assert all(set(v) == {"value", "count", "selected"} for v in values)


def test_api_and_page_show_the_same_passages(client: FlaskClient) -> None:
    _status, body = _json(client, "/api/search", q="扬尘 施工", size=5)
    page = client.get("/search", query_string={"q": "扬尘 施工", "size": 5}).get_data(as_text=True)
    shown = [p for hit in body["hits"] for p in hit["passages"]]
    assert shown and all(f'<p class="passage">{p}</p>' in page for p in shown)


def test_hit_urls_are_absolute_and_open_the_section(client: FlaskClient) -> None:
    _status, body = _json(client, "/api/search", q="扬尘污染防治", size=1)
    url = body["hits"][0]["url"]
    assert url.startswith("http://localhost/docs/") and "#s-" in url
    path, anchor = url.removeprefix("http://localhost").split("#")
    page = client.get(path).get_data(as_text=True)
    assert f'id="{anchor}"' in page and "<mark>" in page


def test_the_api_and_the_page_list_the_same_hits(client: FlaskClient) -> None:
    params = {"q": "管理", "sort": "date", "size": "5"}
    _status, body = _json(client, "/api/search", **params)
    page = client.get("/search", query_string=params).get_data(as_text=True)
    titles = [hit["title_html"] for hit in body["hits"]]
    positions = [page.index(f">{title}</a></h2>") for title in titles]
    assert positions == sorted(positions) and len(titles) == 5


def test_a_document_and_a_section(client: FlaskClient) -> None:
    _status, body = _json(client, "/api/search", q="扬尘污染防治", size=1)
    hit = body["hits"][0]
    status, doc = _json(client, f"/api/docs/{hit['doc_id']}")
    assert status == 200 and doc["ok"] is True
    document = doc["document"]
    assert document["title"] == hit["title"] and document["agency"] == hit["agency"]
    ids = [s["id"] for s in document["sections"]]
    assert hit["id"] in ids and len(ids) == len(set(ids)) > 1
    ordinals = [int(s["anchor"].removeprefix("s-")) for s in document["sections"]]
    assert ordinals == sorted(ordinals)
    status, one = _json(client, f"/api/sections/{hit['id']}")
    assert status == 200 and one["section"]["id"] == hit["id"]
    assert one["document"]["doc_id"] == hit["doc_id"] and "sections" not in one["document"]


@pytest.mark.parametrize(
    ("url", "params", "status", "parameter"),
    [
        ("/api/search", {"q": "x", "page": "0"}, 400, "page"),
        ("/api/search", {"q": "x", "size": "101"}, 400, "size"),
        ("/api/search", {"q": "x", "year": "someday"}, 400, "year"),
        ("/api/search", {"q": "x", "sort": "random"}, 400, "sort"),
        ("/api/search", {"q": "x", "collapse": "perhaps"}, 400, "collapse"),
        ("/api/search", {"q": "x", "kind": ["法律", "法规"]}, 400, "kind"),
        ("/api/search", {"q": "x" * 600}, 400, "q"),
        ("/api/search", {"q": ["a", "b"]}, 400, "q"),
        ("/api/search", {"q": "x", "doc": "gone-1"}, 400, "doc"),
        ("/api/search", {"doc": "gone-1"}, 400, "doc"),
        ("/api/docs/no-such-doc", {}, 404, None),
        ("/api/sections/no-such-doc:s-1", {}, 404, None),
        ("/api/no-such-endpoint", {}, 404, None),
        ("/api/hot", {"limit": "0"}, 400, "limit"),
        ("/api/hot", {"days": "a month"}, 400, "days"),
        # a misspelt filter must not quietly give every document
        ("/api/search", {"q": "x", "agnecy": "阳城县人民政府"}, 400, "agnecy"),
        ("/api/suggest", {"q": "yshj", "lmit": "3"}, 400, "lmit"),
        ("/api/hot", {"limt": "3"}, 400, "limt"),
    ],
)
def test_error_envelope(
    client: FlaskClient, url: str, params: dict[str, Any], status: int, parameter: str | None
) -> None:
    code, body = _json(client, url, **params)
    assert code == status
    assert body["ok"] is False and body["status"] == status and body["error"]
    assert body.get("parameter") == parameter
    assert re.search(r"[\u4e00-\u9fff]", body["message"])  # for a portal's readers
    if parameter:
        assert body["error"].startswith(parameter + ":")
        # ...and in Chinese, for a portal's readers, naming the parameter too
        assert parameter in body["message"] and re.search(r"[\u4e00-\u9fff]", body["message"])


@pytest.mark.parametrize("status", [414, 431])
def test_a_request_the_server_refuses_gets_the_envelope(app: Flask, status: int) -> None:
    """Too long for the server to read (see web/server.py): the API still answers in JSON."""
    response = refused_response(app, "/api/search", status)
    assert response.status_code == status and response.mimetype == "application/json"
    body = response.get_json()
    assert body["ok"] is False and body["status"] == status and body["error"]
    page = refused_response(app, "/search", status)
    assert page.status_code == status and page.mimetype == "text/html"
    assert 'class="error"' in page.get_data(as_text=True)


def test_wrong_method_is_a_json_405(client: FlaskClient) -> None:
    response = client.post("/api/search", data={"q": "x"})
    assert response.status_code == 405 and response.get_json()["status"] == 405


def test_missing_index_is_a_json_503(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    code, body = _json(client, "/api/search", q="法治")
    assert code == 503 and body["error"].startswith("the search index is not ready")
    assert str(tmp_path) not in body["error"]  # paths are for /healthz, not the public
    health = client.get("/healthz")
    reason = health.get_json()
    assert health.status_code == 503 and str(tmp_path / "none") in reason["error"]
    assert reason["message"] == body["message"] and "索引尚未就绪" in reason["message"]


def test_text_that_is_not_utf8_is_a_400_naming_its_parameter(client: FlaskClient) -> None:
    for url, name in (
        ("/api/search?q=%ED%A0%80", "q"),  # a lone surrogate's bytes
        ("/api/suggest?q=%C3", "q"),
        ("/api/search?q=x&agency=%FF", "agency"),
    ):
        response = client.get(url)
        body = response.get_json()
        assert response.status_code == 400 and body["parameter"] == name, url
        assert "UTF-8" in body["error"] and f"参数 {name}" in body["message"]
    page = client.get("/search?q=%FF")
    assert page.status_code == 400
    assert "参数 q 的值不是有效的 UTF-8 文字" in page.get_data(as_text=True)
    assert client.get("/api/search?q=%E8%90%A5%E5%95%86+%E7%8E%AF%E5%A2%83").status_code == 200


def test_an_unknown_parameter_is_named_with_the_known_ones(client: FlaskClient) -> None:
    code, body = _json(client, "/api/search", q="营商环境", agnecy="阳城县人民政府")
    assert code == 400
    assert "known: q, sort, page, size" in body["error"] and "agency" in body["error"]
    # a script's cache-buster passes, and the pages take what links carry (utm_source)
    code, body = _json(client, "/api/search", q="营商环境", _="1700000000000")
    assert code == 200 and body["total"] > 0
    page = client.get("/search", query_string={"q": "营商环境", "utm_source": "portal"})
    assert page.status_code == 200


def test_a_hit_carries_its_doc_number_and_the_pages_show_it(client: FlaskClient) -> None:
    code, body = _json(client, "/api/search", q="营商环境", agency="阳城县人民政府")
    numbers = {hit["doc_number"] for hit in body["hits"]}
    assert code == 200 and "阳政发〔2021〕3号" in numbers
    code, body = _json(client, "/api/search", q="法治")
    assert "" in {hit["doc_number"] for hit in body["hits"]}  # a report has none
    page = client.get("/search", query_string={"q": "营商环境", "agency": "阳城县人民政府"})
    assert "阳城县人民政府 · 阳政发〔2021〕3号 · 2021-" in page.get_data(as_text=True)


def test_a_hits_title_is_marked_where_the_query_matches_it(client: FlaskClient) -> None:
    for params in ({"q": "营商环境"}, {"q": "营商环境", "scope": "title"}, {"q": "标题:营商环境"}):
        code, body = _json(client, "/api/search", **params)
        titles = [hit["title_html"] for hit in body["hits"]]
        assert code == 200 and any("<mark>营商环境</mark>" in title for title in titles), params
        for hit in body["hits"]:  # the title itself, escaped, with nothing but <mark> added
            plain = re.sub("</?mark>", "", hit["title_html"])
            assert html.unescape(plain) == hit["title"]
    page = client.get("/search", query_string={"q": "营商环境", "scope": "title"})
    assert re.search(r"<h2><a [^>]*>[^<]*<mark>营商环境</mark>", page.get_data(as_text=True))
