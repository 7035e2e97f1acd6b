"""The pages and the widget in a real browser: Debian's Chromium driven by Playwright.

The app runs in a real WSGI server on 127.0.0.1; the portal page that embeds the widget is
served from a second origin (another port). Screenshots go to $GOVSEARCH_SCREENSHOT_DIR when
set (the README's come from `make screenshots`), else to the test's temporary folder.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import CORPUS, SEED_NAME
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from search.query.request import MAX_QUERY_CHARS
from search.querylog import QueryLog
from web import create_app

PORTAL_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>某县人民政府门户网站</title>
<style>
  body { font-family: serif; background: #f4f1ea; }
  p { color: rgb(255, 0, 0); }  /* the host's styles must not reach the widget */
  .hit, mark { display: none; }
</style></head>
<body>
  <h1>某县人民政府 · 政府信息公开</h1>
  <p>站内检索：</p>
  <div id="widget" data-govsearch data-query="扬尘污染防治" data-size="3"></div>
  <script src="{app}/embed.js" async></script>
</body></html>
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        pass


def _serve(server: object) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)  # type: ignore[attr-defined]
    thread.start()
    return thread


@pytest.fixture(scope="module")
def portal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("portal")


@pytest.fixture(scope="module")
def portal(portal_dir: Path) -> Iterator[str]:
    """A second origin: a plain static server for the portal's own page."""
    handler = functools.partial(_QuietHandler, directory=str(portal_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    _serve(server)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def app_url(sample_index: Path, portal: str, portal_dir: Path) -> Iterator[str]:
    app = create_app({"INDEX_DIR": str(sample_index), "CORS_ORIGINS": portal})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    _serve(server)
    url = f"http://127.0.0.1:{server.server_port}"
    (portal_dir / "index.html").write_text(PORTAL_PAGE.replace("{app}", url), "utf-8")
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: `make test` installs it (apt-get, as root)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GOVSEARCH_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_search_facet_page_and_open_a_section(page: Page, app_url: str, shots: Path) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(app_url + "/")
    page.get_by_label("检索词").fill("管理")
    page.keyboard.press("Enter")
    expect(page.locator("li.hit").first).to_be_visible()
    expect(page.locator("li.hit mark").first).to_have_text("管理")
    expect(page.locator(".summary")).to_contain_text("份文件")
    page.screenshot(path=str(shots / "results.png"), full_page=True)

    # a facet narrows the results to that agency; its chip takes the filter off again
    facet = page.locator(".facet-agency li a").first
    agency = facet.inner_text()
    titles_before = page.locator("li.hit h2").all_inner_texts()
    facet.click()
    expect(page.locator(".chips a")).to_have_count(1)
    metas = page.locator("li.hit .meta").all_inner_texts()
    assert metas and all(m.startswith(agency + " ·") for m in metas)
    page.locator(".chips a").click()
    expect(page.locator(".chips a")).to_have_count(0)
    assert page.locator("li.hit h2").all_inner_texts() == titles_before

    # pages: size 2, go to the next page
    page.goto(app_url + "/search?q=管理&size=2")
    first_titles = page.locator("li.hit h2").all_inner_texts()
    page.get_by_role("link", name="下一页").click()
    expect(page.locator('.pager [aria-current="page"]')).to_have_text("2")
    assert not set(first_titles) & set(page.locator("li.hit h2").all_inner_texts())

    # a hit opens its document at the section, the matches marked
    title_link = page.locator("li.hit h2 a").first
    href = title_link.get_attribute("href") or ""
    title_link.click()
    anchor = href.split("#")[1]
    expect(page.locator("h1")).to_be_visible()
    section = page.locator(f"#{anchor}")
    expect(section).to_be_in_viewport()
    expect(section.locator("mark").first).to_have_text("管理")
    expect(page.get_by_role("link", name="← 返回检索结果")).to_be_visible()
    # the security policy blocks nothing the pages use
    assert not [m for m in console if "Content Security Policy" in m], console


def test_keyboard_reaches_the_search_box_and_the_results(page: Page, app_url: str) -> None:
    page.goto(app_url + "/search?q=扬尘")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    expect(page.locator("li.hit h2 a").first).to_be_visible()


def test_phone_width_has_no_horizontal_scroll(browser: Browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    phone.goto(app_url + "/search?q=管理")
    expect(phone.locator("li.hit").first).to_be_visible()
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0


def test_portal_embeds_the_widget(page: Page, portal: str, app_url: str, shots: Path) -> None:
    page.goto(portal + "/index.html")
    widget = page.locator("#widget")
    first_hit = widget.locator("li.hit").first
    expect(first_hit).to_be_visible()
    expect(first_hit.locator("mark").first).to_have_text("扬尘污染防治")
    # the host's `p { color: red }` and `.hit { display: none }` stay outside
    color = first_hit.locator("p.passage").first.evaluate("e => getComputedStyle(e).color")
    assert color != "rgb(255, 0, 0)"
    assert first_hit.locator("a").first.get_attribute("href", timeout=2000).startswith(app_url)
    page.screenshot(path=str(shots / "embed.png"), full_page=True)

    # a new search from the widget's own box, then a facet
    widget.get_by_label("检索词").fill("管理")
    widget.get_by_role("button", name="搜索").click()
    expect(widget.locator("li.hit mark").first).to_have_text("管理")
    year = widget.locator(".facet-year button").last
    count = re.search(r"\((\d+)\)", year.inner_text()).group(1)  # type: ignore[union-attr]
    year.click()
    expect(widget.locator('.facet-year button[aria-pressed="true"]')).to_have_count(1)
    expect(widget.locator(".summary")).to_have_text(f"找到 {count} 份文件")


def _pasted_text(length: int) -> str:
    """`length` characters of a report's running text, as someone would paste them."""
    lines = (CORPUS / SEED_NAME).read_text("utf-8").splitlines()[4:]  # after the metadata
    text = "".join(lines)
    assert len(text) >= length
    return text[:length]


def _query_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["q"][0]


def test_a_pasted_page_of_text_is_cut_to_the_query_limit(page: Page, app_url: str) -> None:
    page.goto(app_url + "/")
    box = page.get_by_label("检索词")
    box.focus()
    page.keyboard.insert_text(_pasted_text(900))  # what a paste does
    assert len(box.input_value()) == MAX_QUERY_CHARS
    with page.expect_response(lambda r: "/search?" in r.url) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    assert 0 < len(_query_of(answer.value.url)) <= MAX_QUERY_CHARS
    expect(page.locator("li.hit").first).to_be_visible()
    expect(page.locator("p.error")).to_have_count(0)


def test_the_widget_cuts_a_pasted_text_to_the_query_limit(page: Page, portal: str) -> None:
    page.goto(portal + "/index.html")
    widget = page.locator("#widget")
    expect(widget.locator("li.hit").first).to_be_visible()
    widget.get_by_label("检索词").fill("")
    widget.get_by_label("检索词").focus()
    page.keyboard.insert_text(_pasted_text(900))
    with page.expect_response(lambda r: "/api/search?" in r.url) as answer:
        widget.get_by_role("button", name="搜索").click()
    assert answer.value.status == 200
    assert 0 < len(_query_of(answer.value.url)) <= MAX_QUERY_CHARS
    expect(widget.locator(".summary")).to_contain_text("份文件")
    expect(widget.locator("p.error")).to_have_count(0)


def test_the_widget_offers_hot_searches_before_a_query(
    page: Page, portal: str, portal_dir: Path, sample_index: Path, tmp_path: Path
) -> None:
    log = QueryLog(tmp_path / "querylog.sqlite3")
    for text in ["扬尘污染防治"] * 3 + ["管理"]:
        log.record(text, {}, 5, 10.0)
    assert log.flush()
    log.close()
    app = create_app(
        {"INDEX_DIR": str(sample_index), "CORS_ORIGINS": portal, "QUERY_LOG": log.path}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    _serve(server)
    try:
        without_query = PORTAL_PAGE.replace(' data-query="扬尘污染防治"', "")
        app_url = f"http://127.0.0.1:{server.server_port}"
        (portal_dir / "hot.html").write_text(without_query.replace("{app}", app_url), "utf-8")
        page.goto(portal + "/hot.html")
        hot = page.locator("#widget .hot button")
        expect(hot).to_have_text(["扬尘污染防治", "管理"])
        hot.first.click()
        expect(page.locator("#widget li.hit mark").first).to_have_text("扬尘污染防治")
        expect(page.locator("#widget").get_by_label("检索词")).to_have_value("扬尘污染防治")
    finally:
        server.shutdown()
        server.server_close()
