"""Property-based tests: any string a browser can send to the query parser and the search,
and any bytes in a document file, give a result or a named error, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.errors import IngestError, QueryError
from search.index.live import SearchIndex
from search.ingest.read import read_document
from search.query.compile import compile_query
from search.query.language import parse
from search.query.request import SearchRequest
from search.results import run_search

# Text with the characters that matter here: Chinese, operators, brackets, quotes, control
# and bidirectional marks, surrogate-free Unicode at large.
SPECIAL = list('"“”「」()（）[]〔〕【】-|:：*?~^\\/ OR AND 标题 title\x00\u202e\u200b\ufeff')
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPECIAL),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=80,
)
HEADER = (
    "索 引 号: | | 主题分类: | 其他 |\n发布机构: | 某县办公室 | 成文日期: | 2020年01月02日 |\n"
    "标 题: | {title} | ||\n发文字号: | | 发布日期: | |\n"
)


@given(TEXT)
def test_any_text_parses_and_compiles(text: str) -> None:
    clauses = parse(text)
    assert all(term.text for clause in clauses for term in clause.terms)
    compile_query(text)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT, page=st.integers(-3, 12), size=st.integers(-3, 120))
def test_any_search_answers_or_names_the_bad_parameter(
    sample_index: Path, text: str, page: int, size: int
) -> None:
    try:
        request = SearchRequest.create(text, page=page, size=size)
    except QueryError as error:
        assert error.parameter in {"q", "page", "size"}
        return
    with SearchIndex(sample_index) as index:
        results = run_search(index, request)
    assert results.total >= len(results.hits) and len(results.hits) <= request.size


@settings(max_examples=60, deadline=None)
@given(title=TEXT, body=st.binary(max_size=400) | TEXT.map(lambda t: t.encode("utf-8")))
def test_any_document_reads_or_fails_with_its_path(title: str, body: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.txt"
        path.write_bytes(HEADER.format(title=title.replace("\n", " ")).encode("utf-8") + body)
        try:
            report = read_document(path, Path(folder))
        except IngestError as error:
            assert error.path == path and error.reason
            return
        assert report.title and all(s.text is not None for s in report.sections)
