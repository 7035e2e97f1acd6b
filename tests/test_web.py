from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web import create_app


@pytest.fixture
def app(sample_index: Path) -> Flask:
    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index)})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_home_has_a_labelled_search_box(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<label for="q"' in page and 'name="q"' in page and 'lang="zh-CN"' in page


def test_search_page_shows_highlighted_sections(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": "扬尘污染防治"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "晋城市扬尘污染防治管理办法" in page
    assert "<mark>扬尘污染防治</mark>" in page
    assert 'value="扬尘污染防治"' in page


def test_filters_narrow_the_results(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "法治", "year": "2021"}).get_data(as_text=True)
    assert "2021年度法治政府建设报告" in page
    assert "2020年度法治政府建设报告" not in page


def test_query_text_is_escaped(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": '<script>alert("x")</script>'}).get_data(
        as_text=True
    )
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"q": "x", "page": "zero"}, "page"),
        ({"q": "x", "year": "20xx"}, "year"),
        ({"q": "x", "sort": "popular"}, "sort"),
        ({"q": "x", "collapse": "maybe"}, "collapse"),
        ({"q": "x", "size": "1000"}, "size"),
    ],
)
def test_bad_parameters_are_400_with_a_message(
    client: FlaskClient, params: dict[str, str], named: str
) -> None:
    response = client.get("/search", query_string=params)
    assert response.status_code == 400
    assert named in response.get_data(as_text=True)


def test_missing_index_is_503_not_500(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/search", query_string={"q": "法治"})
    assert response.status_code == 503
    assert "govsearch reindex" in response.get_data(as_text=True)


def test_collapsed_hits_link_to_their_other_sections(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "扬尘"}).get_data(as_text=True)
    assert "找到 1 份文件" in page and "本文件还有" in page
    link = page.split('<p class="more"><a href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    inside = client.get(link).get_data(as_text=True)
    assert "个章节" in inside and "份文件" not in inside


def test_a_typo_gets_a_suggestion_link(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "营商环竟"}).get_data(as_text=True)
    assert "您是不是要找" in page and "营商环境</a>" in page
