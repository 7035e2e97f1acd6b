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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import CORPUS, SEED_NAME
from flask import Flask
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright
from werkzeug.serving import make_server

from search.query.request import MAX_QUERY_CHARS
from search.querylog import QueryLog
from web import create_app
from web.querylog import close_query_log, query_log
from web.state import close_index

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


def _static_site(directory: Path) -> Iterator[str]:
    """A plain static server for `directory` on its own port: another origin."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    _serve(server)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def portal(portal_dir: Path) -> Iterator[str]:
    """A second origin: the portal's own page."""
    yield from _static_site(portal_dir)


@pytest.fixture(scope="module")
def app_url(
    sample_index: Path, portal: str, portal_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    # Its own query log: the default one, beside the index every test shares, would offer
    # these searches as hot searches on other tests' pages.
    log = tmp_path_factory.mktemp("browser-querylog") / "querylog.sqlite3"
    app = create_app(
        {"INDEX_DIR": str(sample_index), "CORS_ORIGINS": portal, "QUERY_LOG": str(log)}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    _serve(server)
    url = f"http://127.0.0.1:{server.server_port}"
    (portal_dir / "index.html").write_text(PORTAL_PAGE.replace("{app}", url), "utf-8")
    yield url
    server.shutdown()
    server.server_close()


# What a portal's visitors searched for, and how often. 公租房申请 finds nothing in the
# samples: however often it is asked, it is no hot search.
ASKED = {
    "营商环境": 9,
    "政府信息公开": 8,
    "扬尘污染防治": 7,
    "法治政府建设": 6,
    "乡村振兴": 5,
    "安全生产": 4,
    "校外培训机构": 3,
    "预算执行": 2,
    "公租房申请": 12,
}
# The home page's hot list: the most asked first, 公租房申请 left out.
HOT = [
    "营商环境",
    "政府信息公开",
    "扬尘污染防治",
    "法治政府建设",
    "乡村振兴",
    "安全生产",
    "校外培训机构",
    "预算执行",
]


@contextmanager
def _served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    _serve(server)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def logged_app_url(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a query log that earlier searches filled: ASKED, searched through the app
    itself, so that what the log holds (hits included) is what the samples answer."""
    log = tmp_path_factory.mktemp("querylog") / "querylog.sqlite3"
    # every query asked shows, however few times (the floor has tests of its own)
    config = {"INDEX_DIR": str(sample_index), "QUERY_LOG": str(log), "HOT_MIN_COUNT": "1"}
    earlier = create_app(config)
    client = earlier.test_client()
    for text, times in ASKED.items():
        for _ in range(times):
            assert client.get("/api/search", query_string={"q": text}).status_code == 200
    close_query_log(earlier)  # writes what is queued
    close_index(earlier)
    app = create_app(config)
    _wait_for_the_hot_list(app)
    with _served(app) as url:
        yield url


def _wait_for_the_hot_list(app: Flask) -> None:
    """A fresh app reads its hot list in the background; the first pages may come before."""
    log = query_log(app)
    assert log is not None
    deadline = time.monotonic() + 10
    while not log.hot() and time.monotonic() < deadline:
        time.sleep(0.05)


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


def test_search_facet_page_and_open_a_section(page: Page, app_url: str) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(app_url + "/")
    page.get_by_label("检索词").fill("管理")
    page.keyboard.press("Enter")
    expect(page.locator("li.hit").first).to_be_visible()
    expect(page.locator("li.hit mark").first).to_have_text("管理")
    expect(page.locator(".summary")).to_contain_text("份文件")

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
    # back to the results the hit was opened from: the same page of them
    back = page.get_by_role("link", name="← 返回检索结果")
    expect(back).to_be_visible()
    back.click()
    expect(page.locator('.pager [aria-current="page"]')).to_have_text("2")
    # the security policy blocks nothing the pages use
    assert not [m for m in console if "Content Security Policy" in m], console


def test_the_home_page_shows_the_hot_searches(page: Page, logged_app_url: str, shots: Path) -> None:
    page.goto(logged_app_url + "/")
    hot = page.get_by_role("region", name="热门搜索").get_by_role("link")
    expect(hot).to_have_text(HOT)
    page.set_viewport_size({"width": 1100, "height": 700})  # the page, not blank space below
    page.screenshot(path=str(shots / "home.png"), full_page=True)

    hot.nth(2).click()
    assert _query_of(page.url) == "扬尘污染防治"
    expect(page.locator("li.hit mark").first).to_have_text("扬尘污染防治")


def test_completions_put_a_hot_search_first(page: Page, logged_app_url: str, shots: Path) -> None:
    page.goto(logged_app_url + "/")
    page.get_by_role("combobox", name="检索词").press_sequentially("zf")  # initials of 政府
    options = page.get_by_role("listbox", name="检索建议").get_by_role("option")
    expect(options.first).to_have_text("政府信息公开热门")  # the query, then its kind's label
    texts = options.all_inner_texts()
    assert len(texts) >= 5
    # after it, the words and titles whose pinyin starts z… f…: 政府, 执法, 政府工作报告 …
    assert {"政府\n词语", "执法\n词语"} <= set(texts), texts
    assert any(text.endswith("\n标题") for text in texts), texts
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    listbox = page.get_by_role("listbox", name="检索建议").bounding_box()
    assert listbox
    page.screenshot(
        path=str(shots / "suggest.png"),
        clip={"x": 0, "y": 0, "width": 1100, "height": listbox["y"] + listbox["height"] + 140},
    )


def test_keyboard_reaches_the_search_box_and_the_results(page: Page, app_url: str) -> None:
    page.goto(app_url + "/search?q=扬尘")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    expect(page.locator("li.hit h2 a").first).to_be_visible()


# Elements whose right edge is past the width given (a visually hidden label is 1 px wide).
_PAST_THE_EDGE = """width => [...document.querySelectorAll("body *")]
  .filter(e => { const r = e.getBoundingClientRect(); return r.width > 1 && r.right > width; })
  .map(e => `${e.tagName.toLowerCase()}.${e.className} ${e.getBoundingClientRect().right}`)"""


_LONG_AGENCY = """document.querySelector("#adv-agency")
  .add(new Option("监察部、人事部、中国人民银行、海关总署、国家外汇管理局、国家税务总局"))"""


def test_phone_width_has_no_horizontal_scroll(browser: Browser, app_url: str) -> None:
    """Nothing is wider than the phone's 375 px: a mobile page's window grows to what its
    widest element needs, so the window's width alone does not tell."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    for path in ("/", "/search?q=管理", "/advanced"):
        phone.goto(app_url + path)
        expect(phone.locator("#q")).to_be_visible()
        if path == "/advanced":  # a real index's agencies: several bodies in one 发布机构
            phone.evaluate(_LONG_AGENCY)
        root = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        scroll_width, client_width = phone.evaluate(root)
        past_the_edge = phone.evaluate(_PAST_THE_EDGE, 375)
        assert (scroll_width, client_width, past_the_edge) == (375, 375, []), path
    context.close()


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


def test_advanced_search_date_presets_and_a_custom_range(
    page: Page, app_url: str, shots: Path
) -> None:
    """高级检索 fills the ordinary query language; the range and the scope become chips."""
    page.goto(app_url + "/search?q=管理")
    page.get_by_role("link", name="高级检索").click()
    expect(page.get_by_role("heading", name="高级检索")).to_be_visible()
    page.get_by_label("包含全部词语").fill("管理")
    page.get_by_label("不包含词语").fill("扶持")
    page.get_by_label("检索范围", exact=True).last.select_option("all")
    page.get_by_label("发布机构").select_option("阳城县人民政府办公室")
    page.get_by_label("发布日期：起始日期").fill("2020-01-01")
    page.get_by_label("发布日期：截止日期").fill("2024-12-31")
    page.evaluate("document.activeElement.blur()")  # no half-edited date in the picture
    page.screenshot(path=str(shots / "advanced.png"), full_page=True)
    page.get_by_role("button", name="检索", exact=True).click()
    expect(page.locator(".summary")).to_contain_text("份文件")
    asked = parse_qs(urlsplit(page.url).query)
    assert urlsplit(page.url).path == "/search"
    assert asked == {
        "q": ["管理 -扶持"],
        "agency": ["阳城县人民政府办公室"],
        "from": ["2020-01-01"],
        "to": ["2024-12-31"],
    }
    expect(page.locator(".chips a")).to_have_text(
        ["发布机构：阳城县人民政府办公室 ×", "发布日期：2020-01-01 至 2024-12-31 ×"]
    )
    assert page.get_by_label("检索词").input_value() == "管理 -扶持"
    expect(page.locator("li.hit .meta")).to_have_text(
        ["阳城县人民政府办公室 · 2020-01-20 · 政府信息公开 · 工作总结"]
    )

    # the range's chip takes it off; a preset sets only `from`
    page.get_by_role("link", name="去掉筛选：发布日期 2020-01-01 至 2024-12-31").click()
    expect(page.locator(".chips a")).to_have_count(1)
    page.get_by_role("link", name="一年内").click()
    expect(page.locator('.date-presets [aria-current="true"]')).to_have_text("一年内")
    assert "to" not in parse_qs(urlsplit(page.url).query)

    # a custom range from the two date inputs, without any script
    page.get_by_label("从", exact=True).fill("2020-01-20")
    page.get_by_label("到", exact=True).fill("2020-01-20")
    page.get_by_role("button", name="确定").click()
    expect(page.locator(".chips a").last).to_have_text("发布日期：2020-01-20 ×")
    expect(page.locator("li.hit .meta")).to_have_count(1)
    assert parse_qs(urlsplit(page.url).query)["q"] == ["管理 -扶持"]


def test_the_scope_beside_the_search_box(page: Page, app_url: str) -> None:
    page.goto(app_url + "/")
    page.get_by_label("检索词").fill("2021-3")
    page.locator("#scope").select_option("number")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator(".summary")).to_contain_text("找到 1 份文件")
    expect(page.locator(".chips a")).to_have_text(["检索范围：文号 ×"])
    expect(page.locator("li.hit h2")).to_contain_text(["营商环境"])


def test_the_widget_offers_the_scope_and_keeps_a_fixed_range(
    page: Page, portal: str, portal_dir: Path, app_url: str
) -> None:
    page.goto(portal + "/index.html")
    widget = page.locator("#widget")
    expect(widget.locator("li.hit").first).to_be_visible()
    widget.get_by_label("检索词").fill("2021-3")
    widget.get_by_label("检索范围").select_option("number")
    widget.get_by_role("button", name="搜索").click()
    expect(widget.locator(".summary")).to_have_text("找到 1 份文件")
    expect(widget.locator("li.hit h3")).to_contain_text(["营商环境"])

    fixed = PORTAL_PAGE.replace("{app}", app_url).replace(
        'data-query="扬尘污染防治"', 'data-query="管理" data-from="2023-01-01" data-scope="all"'
    )
    (portal_dir / "dated.html").write_text(fixed, "utf-8")
    page.goto(portal + "/dated.html")
    metas = page.locator("#widget li.hit .meta")
    expect(metas.first).to_be_visible()
    assert all(m.split(" · ")[1] >= "2023-01-01" for m in metas.all_inner_texts())
    expect(page.locator("#widget select")).to_have_count(0)  # a fixed scope offers no choice
    more = page.locator("#widget").get_by_role("link", name="查看全部结果")
    assert "from=2023-01-01" in (more.get_attribute("href") or "")


# Accessibility: axe-core (fetched by `make axe`) in each page, no serious or critical finding.
AXE_SCRIPT = Path(
    os.environ.get("GOVSEARCH_AXE")
    or Path(__file__).resolve().parent.parent / ".venv/axe/node_modules/axe-core/axe.min.js"
)
SEVERE = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        message = f"axe-core is missing at {AXE_SCRIPT}: `make axe` fetches it (npm)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SCRIPT.read_text("utf-8")


def severe_violations(page: Page, axe_source: str, within: str = "html") -> list[str]:
    """axe-core's serious and critical findings in `within` (a selector) as the page is now,
    one line each."""
    page.evaluate(axe_source)  # not a <script>: the pages' policy allows only their own
    found = page.evaluate(
        """async (within) => {
            const result = await axe.run(within);
            return {passes: result.passes.length, violations: result.violations};
        }""",
        within,
    )
    assert found["passes"] > 0  # axe did check something
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in found["violations"]
        if v["impact"] in SEVERE
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=管理",
        "/search?q=科技局如何开展法治宣传教育活动？",
        "/search?q=没有这个词语啊",
        "/search?q=管理&page=0",
        "/docs/000_cd729ddf2f2831ef?q=法治",
        "/docs/samples/2019_yangcheng_enforcement_rules",
        "/no-such-page",
        "/embed?q=法治",
    ],
)
@pytest.mark.parametrize("width", [1100, 375])
def test_pages_pass_axe(
    browser: Browser, app_url: str, axe_source: str, path: str, width: int
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(app_url + path)
        if page.locator(".filters summary").is_visible():
            page.locator(".filters summary").click()  # the folded panel's contents too
        assert severe_violations(page, axe_source) == []
    finally:
        context.close()


def test_the_embedded_widget_passes_axe(page: Page, portal: str, axe_source: str) -> None:
    page.goto(portal + "/index.html")
    expect(page.locator("#widget li.hit").first).to_be_visible()
    # the widget only: the portal's own page (red on beige here) is the portal's business
    assert severe_violations(page, axe_source, "#widget") == []


def test_the_widget_says_plainly_when_a_shard_did_not_answer(
    page: Page, portal: str, axe_source: str
) -> None:
    """The service's own answers, each marked partial as a cluster marks one whose shard-01
    did not answer (tests/cluster_on_loopback.py: the cluster's pages say it too)."""

    def without_shard_01(route: Route) -> None:
        answer = route.fetch()
        route.fulfill(
            response=answer, json=answer.json() | {"partial": True, "missing_shards": ["shard-01"]}
        )

    page.route("**/api/search?*", without_shard_01)
    page.goto(portal + "/index.html")
    widget = page.locator("#widget")
    expect(widget.locator("li.hit").first).to_be_visible()
    notice = widget.locator(".partial-notice")
    expect(notice).to_contain_text("部分分库暂未响应，结果可能不完整。")
    expect(notice.locator("small")).to_have_text("未响应的分库：shard-01")
    assert severe_violations(page, axe_source, "#widget") == []


@pytest.fixture(scope="module")
def unlisted_portal(portal_dir: Path, app_url: str) -> Iterator[str]:
    """The same portal page from an origin that the cors_origins setting does not name."""
    yield from _static_site(portal_dir)


def test_the_widget_tells_an_unlisted_portal_what_to_set(
    page: Page, unlisted_portal: str, axe_source: str
) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(unlisted_portal + "/index.html")
    widget = page.locator("#widget")
    expect(widget.locator("p.error")).to_have_text("暂时无法检索，请稍后再试。")
    hint = widget.locator("p.hint")
    expect(hint).to_contain_text("cors_origins")
    expect(hint).to_contain_text(unlisted_portal)
    assert any("cors_origins" in line and unlisted_portal in line for line in console)
    assert severe_violations(page, axe_source, "#widget") == []


def test_a_phone_shows_the_filters_folded_above_the_results(browser: Browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    try:
        phone.goto(app_url + "/search?q=管理")
        summary = phone.locator(".filters summary")
        facet = phone.locator(".facet-agency li a").first
        expect(summary).to_be_visible()
        expect(facet).to_be_hidden()
        first_hit = phone.locator("li.hit").first.bounding_box()
        assert first_hit and (summary.bounding_box() or {"y": 1e9})["y"] < first_hit["y"]
        summary.click()
        expect(facet).to_be_visible()
        facet.click()
        expect(phone.locator(".chips a")).to_have_count(1)
        expect(phone.locator(".filters summary")).to_contain_text("已选 1 项")
    finally:
        context.close()


def test_a_wide_screen_shows_the_filters_beside_the_results(page: Page, app_url: str) -> None:
    page.goto(app_url + "/search?q=管理")
    expect(page.locator(".filters summary")).to_be_hidden()
    facet = page.locator(".facet-agency li a").first
    expect(facet).to_be_visible()
    results = page.locator("section.results").bounding_box()
    beside = page.locator("aside.facets").bounding_box()
    assert results and beside and beside["x"] > results["x"] + results["width"]


def test_a_kind_tab_narrows_the_results_and_is_marked(page: Page, app_url: str) -> None:
    page.goto(app_url + "/search?q=&size=20")
    tabs = page.get_by_role("navigation", name="文件类型")
    expect(tabs.locator("[aria-current]")).to_have_text("全部 14")
    counts_before = tabs.locator("li").all_inner_texts()
    expect(page.locator("li.hit")).to_have_count(14)

    tabs.get_by_role("link", name="报告").click()
    expect(tabs.locator("[aria-current]")).to_have_text("报告 9")
    expect(page.locator("li.hit")).to_have_count(9)
    metas = page.locator("li.hit .meta").all_inner_texts()
    assert all(m.endswith(("· 工作报告", "· 工作总结")) for m in metas), metas
    assert tabs.locator("li").all_inner_texts() == counts_before  # counts without the filter
    assert parse_qs(urlsplit(page.url).query)["kind"] == ["工作报告", "工作总结"]

    tabs.get_by_role("link", name="全部").click()
    expect(page.locator("li.hit")).to_have_count(14)
    expect(tabs.locator("[aria-current]")).to_have_text("全部 14")


def test_a_kind_tab_keeps_the_date_range(page: Page, app_url: str, shots: Path) -> None:
    page.goto(app_url + "/search?q=管理&from=2019-01-01")
    tabs = page.get_by_role("navigation", name="文件类型")
    tabs.get_by_role("link", name="报告").click()
    expect(tabs.locator("[aria-current]")).to_have_text("报告 3")
    expect(page.locator(".chips a").last).to_have_text("发布日期：2019-01-01 起 ×")
    assert parse_qs(urlsplit(page.url).query)["from"] == ["2019-01-01"]
    dates = [m.split(" · ")[1] for m in page.locator("li.hit .meta").all_inner_texts()]
    assert len(dates) == 3 and min(dates) >= "2019-01-01", dates
    expect(page.locator("li.hit mark").first).to_have_text("管理")
    page.screenshot(path=str(shots / "results.png"), full_page=True)


def test_the_search_box_offers_completions_by_keyboard(page: Page, app_url: str) -> None:
    page.goto(app_url + "/")
    box = page.get_by_role("combobox", name="检索词")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-controls", "q-suggestions")
    box.press_sequentially("yshj")  # initials of 营商环境
    listbox = page.get_by_role("listbox", name="检索建议")
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text("营商环境")
    expect(box).to_have_attribute("aria-expanded", "true")
    count = options.count()
    assert count >= 2
    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "q-suggestions-0")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "q-suggestions-1")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # from the first, round to the last
    expect(box).to_have_attribute("aria-activedescendant", f"q-suggestions-{count - 1}")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(box).to_have_value("yshj")
    page.keyboard.press("ArrowDown")  # opens the list again on its first option
    expect(box).to_have_attribute("aria-activedescendant", "q-suggestions-0")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _query_of(page.url) == "营商环境"
    expect(page.locator("li.hit mark").first).to_have_text("营商环境")


# A key pressed while an input method composes; true when no handler took it.
_COMPOSING_KEY = """key => document.getElementById("q").dispatchEvent(new KeyboardEvent(
  "keydown", { key, keyCode: 229, isComposing: true, bubbles: true, cancelable: true }))"""


def test_an_option_is_named_by_its_text_and_composing_keys_are_left_alone(
    page: Page, app_url: str
) -> None:
    page.goto(app_url + "/")
    box = page.get_by_role("combobox", name="检索词")
    box.press_sequentially("yshj")
    listbox = page.get_by_role("listbox", name="检索建议")
    expect(listbox.get_by_role("option", name="营商环境", exact=True)).to_be_visible()
    assert page.evaluate(_COMPOSING_KEY, "ArrowDown")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "q-suggestions-0")
    for key in ("Enter", "ArrowUp", "Escape"):
        assert page.evaluate(_COMPOSING_KEY, key), key
    page.wait_for_timeout(300)  # a pick would have started a search by now
    assert page.url == app_url + "/"
    expect(box).to_have_value("yshj")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-activedescendant", "q-suggestions-0")


def test_without_script_the_box_still_searches(browser: Browser, app_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    plain = context.new_page()
    plain.goto(app_url + "/")
    box = plain.get_by_label("检索词")
    expect(box).not_to_have_attribute("role", "combobox")
    box.fill("营商环境")
    with plain.expect_navigation():
        box.press("Enter")
    assert _query_of(plain.url) == "营商环境"
    expect(plain.locator("li.hit").first).to_be_visible()
    context.close()


def test_the_widget_offers_completions_by_keyboard(page: Page, portal: str) -> None:
    page.goto(portal + "/index.html")
    widget = page.locator("#widget")
    expect(widget.locator("li.hit").first).to_be_visible()
    box = widget.get_by_role("combobox", name="检索词")
    box.fill("")
    box.press_sequentially("ying shang")
    options = widget.get_by_role("listbox", name="检索建议").get_by_role("option")
    expect(options.first).to_contain_text("营商")
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "gs-suggestions-0")
    picked = options.first.get_attribute("data-text")
    assert picked and picked.startswith("营商")
    with page.expect_response(lambda r: "/api/search?" in r.url) as answer:
        page.keyboard.press("Enter")
    assert _query_of(answer.value.url) == picked
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(widget.locator("li.hit mark").first).to_contain_text("营商")


def test_the_widget_says_when_it_searched_pinyin(page: Page, portal: str) -> None:
    page.goto(portal + "/index.html")
    widget = page.locator("#widget")
    expect(widget.locator("li.hit").first).to_be_visible()
    widget.get_by_label("检索词").fill("yshj")
    widget.get_by_role("button", name="搜索").click()
    expect(widget.locator(".pinyin-notice")).to_contain_text("已按拼音 yshj 搜索 营商环境")
    expect(widget.locator("li.hit mark").first).to_have_text("营商环境")
    with page.expect_response(lambda r: "/api/search?" in r.url) as answer:
        widget.get_by_role("button", name="仍按 yshj 搜索").click()
    assert _query_of(answer.value.url) == '"yshj"'
    expect(widget.locator(".pinyin-notice")).to_have_count(0)


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


def test_a_widget_set_up_wrong_tells_the_reader_in_chinese_and_the_developer_why(
    page: Page, portal: str, portal_dir: Path, app_url: str
) -> None:
    wrong = PORTAL_PAGE.replace("{app}", app_url).replace(
        'data-size="3"', 'data-size="3" data-kind="法规"'
    )
    (portal_dir / "wrong-kind.html").write_text(wrong, "utf-8")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(portal + "/wrong-kind.html")
    error = page.locator("#widget").locator("p.error")
    expect(error).to_contain_text("文件类型“法规”不存在")
    assert any("kind: '法规' is not a kind" in line for line in console), console
