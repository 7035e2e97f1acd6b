from __future__ import annotations

import gc
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, SEED_NAME
from whoosh import query as q

from search.errors import IndexBusy, IndexMissing, IngestError
from search.index import build as indexer
from search.index.build import full_build, indexed_files, update
from search.index.live import SearchIndex
from search.index.schema import SCHEMA_VERSION
from search.index.sections import StoredSection
from search.index.store import BUILD_INFO, BUILD_PREFIX, live_build, open_index, reindex_lock
from search.ingest.read import find_documents, read_document
from search.query.request import SearchRequest
from search.results import run_search


def expected_sections(corpus: Path) -> int:
    total = 0
    for path in find_documents(corpus):
        try:
            total += len(read_document(path, corpus).sections)
        except IngestError:
            pass
    return total


def hit_ids(index_dir: Path, text: str, **filters: object) -> list[str]:
    with SearchIndex(index_dir) as index:
        request = SearchRequest.create(text, size=100, collapse=False, **filters)  # type: ignore[arg-type]
        results = run_search(index, request)
    # Sections that match the whole text (not a relaxed search's partial matches).
    return [hit.id for hit in results.hits[: results.full_matches]]


def test_full_build_holds_every_section(sample_index: Path) -> None:
    ix = open_index(sample_index)
    with ix.searcher() as searcher:
        assert searcher.doc_count() == expected_sections(CORPUS)
        stored = searcher.document(id="000_cd729ddf2f2831ef:s-2")
    assert stored is not None
    assert stored["heading"] == "(二)加大科技项目扶持"
    assert stored["breadcrumb"] == "一、主要举措和成效 › (二)加大科技项目扶持"
    assert stored["year"] == 2020
    assert stored["agency"] == "县科学技术局"
    assert stored["published"] == "2021-01-04"


def test_each_section_reads_back_as_its_document_wrote_it(sample_index: Path) -> None:
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        for path in find_documents(CORPUS):
            report = read_document(path, CORPUS)
            for section in report.sections:
                stored = searcher.document(id=section.id)
                assert stored is not None
                assert StoredSection.read(stored) == StoredSection(
                    id=section.id,
                    doc_id=report.doc_id,
                    path=report.path,
                    ordinal=section.ordinal,
                    start=section.start,
                    end=section.end,
                    title=report.title,
                    body=section.text,
                    heading=section.heading,
                    breadcrumb=list(section.breadcrumb),
                    agency=report.agency,
                    topic=report.topic,
                    kind=report.kind,
                    index_number=report.index_number,
                    doc_number=report.doc_number,
                    written=report.written,
                    published=report.published,
                    date=report.date,
                    year=report.year,
                )


def test_a_section_without_dates_or_numbers_reads_back_empty(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text(
        "索 引 号: | | 主题分类: | |\n"
        "发布机构: | 测试县人民政府 | 成文日期: | |\n"
        "标 题: | 测试县人民政府关于测试的说明 | ||\n"
        "发文字号: | 测政发[2024]1号 | 发布日期: | |\n"
        "前言。\n一、说明\n正文。\n",
        encoding="utf-8",
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix") as index, index.searcher() as searcher:
        preamble, headed = (
            StoredSection.read(fields)
            for fields in sorted(searcher.all_stored_fields(), key=lambda f: f["ordinal"])
        )
    assert preamble.breadcrumb == [] and headed.breadcrumb == ["一、说明"]
    assert (headed.date, headed.written, headed.published, headed.year) == (None, None, None, None)
    assert (headed.topic, headed.index_number) == ("", "")
    assert headed.doc_number == "测政发[2024]1号"  # as written, though indexed normalised


def test_parallel_build_loses_no_documents(corpus_copy: Path, tmp_path: Path) -> None:
    # Whoosh 2.7.4's multi-process writer dropped documents without multisegment=True;
    # our workers write a segment each and report every file.
    for number in range(8):
        for path in list((corpus_copy / "samples").glob("*.txt"))[:6]:
            shutil.copy(path, corpus_copy / "samples" / f"copy{number}_{path.name}")
    (corpus_copy / "samples" / "zz_broken.txt").write_bytes(b"\x00binary")
    summary = full_build(corpus_copy, tmp_path / "ix", procs=2)
    assert [Path(f.path).name for f in summary.failed] == ["zz_broken.txt"]
    assert summary.indexed == len(find_documents(corpus_copy)) - 1
    with open_index(tmp_path / "ix").searcher() as searcher:
        assert searcher.doc_count() == summary.sections == expected_sections(corpus_copy)
        assert len(searcher.reader().leaf_readers()) == 2  # one segment per worker
    # and the parallel index answers like the single-process one
    full_build(corpus_copy, tmp_path / "serial", procs=1)
    with SearchIndex(tmp_path / "ix") as parallel, SearchIndex(tmp_path / "serial") as serial:
        for text in ("营商环境", "扬尘污染防治", "法治政府 建设"):
            request = SearchRequest.create(text)
            assert run_search(parallel, request).total == run_search(serial, request).total


def _report(folder: Path, name: str, title: str, body: str) -> None:
    header = (
        "索 引 号: | | 主题分类: | |\n发布机构: | 县科学技术局 | 成文日期: | |\n"
        f"标 题: | {title} | ||\n发文字号: | 发布日期: | 2021年01月04日 |\n"
    )
    (folder / name).write_text(header + body + "\n", "utf-8")


def test_a_parallel_build_numbers_sections_in_the_workers_order(tmp_path: Path) -> None:
    # The first worker has the large file and finishes last; its segment still comes first,
    # so sections of equal score rank the same way in every build of these files.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paragraph = (CORPUS / SEED_NAME).read_text("utf-8").splitlines()[7]
    items = "\n".join(f"{n}、第{n}项工作\n{paragraph * 3}" for n in range(1, 400))
    _report(corpus, "a_large.txt", "大报告", items)
    for name in "bcde":
        _report(corpus, f"{name}_small.txt", f"小报告{name}", f"一、概况\n{paragraph}")
    summary = full_build(corpus, tmp_path / "ix", procs=2)
    assert not summary.failed
    with open_index(tmp_path / "ix").searcher() as searcher:
        titles = [searcher.stored_fields(n)["title"] for n in range(searcher.doc_count_all())]
    assert list(dict.fromkeys(titles)) == ["大报告", "小报告b", "小报告c", "小报告d", "小报告e"]


def test_open_ended_year_ranges_only_match_their_side(sample_index: Path) -> None:
    # On an unsigned NUMERIC field Whoosh 2.7.4 matched every document here.
    with open_index(sample_index).searcher() as searcher:
        years = {
            hit["year"] for hit in searcher.search(q.NumericRange("year", 2022, None), limit=None)
        }
        older = {
            hit["year"] for hit in searcher.search(q.NumericRange("year", None, 2017), limit=None)
        }
    assert years == {2022, 2023, 2024}
    assert older == {2016, 2017}


def test_bad_files_are_reported_and_the_rest_indexed(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "broken.txt").write_bytes(b"\x80\x81\xfe\xff garbage")
    (corpus_copy / "untitled.txt").write_text("索 引 号: | x | 主题分类: | |\n正文\n", "utf-8")
    (corpus_copy / "moved.txt").symlink_to(tmp_path / "nowhere.txt")  # a link to nothing
    for procs in (1, 2):  # in the build's own process, and shared out among workers
        summary = full_build(corpus_copy, tmp_path / f"ix{procs}", procs=procs)
        failed = {Path(f.path).name: f.reason for f in summary.failed}
        assert sorted(failed) == ["broken.txt", "moved.txt", "untitled.txt"]
        assert all(failed.values())
        assert "cannot read" in failed["moved.txt"]
        assert summary.indexed == len(find_documents(corpus_copy)) - 3
    assert hit_ids(tmp_path / "ix2", "营商环境")


def test_a_file_turned_into_a_link_to_nothing_is_reported_and_kept_by_an_update(
    corpus_copy: Path, tmp_path: Path
) -> None:
    """As for a file that no longer parses: a share unmounted under the corpus must not
    take its documents out of search; a full build, which keeps nothing, drops it."""
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    notice = corpus_copy / "samples" / "2021_yangcheng_business_environment.txt"
    notice.unlink()
    notice.symlink_to(tmp_path / "unmounted" / notice.name)
    summary = update(corpus_copy, index_dir)
    assert [Path(f.path).name for f in summary.failed] == [notice.name]
    assert "cannot read" in summary.failed[0].reason
    assert summary.deleted == 0
    assert "samples/2021_yangcheng_business_environment:s-1" in hit_ids(index_dir, "营商环境")


def test_incremental_update_changes_deletes_and_adds(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    assert not hit_ids(index_dir, "量子通信试验网")

    changed = corpus_copy / "samples" / "2017_yangcheng_keji_summary.txt"
    changed.write_text(
        changed.read_text("utf-8") + "五、量子通信试验网\n建成量子通信试验网一期。\n", "utf-8"
    )
    (corpus_copy / "samples" / "2016_yangcheng_training_rules.txt").unlink()
    shutil.copy(CORPUS / SEED_NAME, corpus_copy / "samples" / "seed_copy.txt")

    summary = update(corpus_copy, index_dir)
    assert (summary.updated, summary.deleted, summary.indexed) == (1, 1, 1)
    assert summary.unchanged == len(find_documents(corpus_copy)) - 2
    assert hit_ids(index_dir, "量子通信试验网") == ["samples/2017_yangcheng_keji_summary:s-6"]
    assert not hit_ids(index_dir, "校外培训机构")
    assert "samples/seed_copy:s-1" in hit_ids(index_dir, "营商环境")
    with open_index(index_dir).searcher() as searcher:
        assert searcher.doc_count() == expected_sections(corpus_copy)

    again = update(corpus_copy, index_dir)
    assert (again.updated, again.deleted, again.indexed, again.sections) == (0, 0, 0, 0)


def test_a_changed_file_that_breaks_keeps_its_previous_sections(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    before = hit_ids(index_dir, "扬尘污染")
    (corpus_copy / "samples" / "2018_jincheng_dust_measures.txt").write_bytes(b"\x00\x01binary")
    summary = update(corpus_copy, index_dir)
    assert [Path(f.path).name for f in summary.failed] == ["2018_jincheng_dust_measures.txt"]
    assert hit_ids(index_dir, "扬尘污染") == before
    assert "samples/2018_jincheng_dust_measures.txt" in indexed_files(open_index(index_dir))


def test_update_without_an_index_builds_one(corpus_copy: Path, tmp_path: Path) -> None:
    summary = update(corpus_copy, tmp_path / "ix")
    assert summary.full and summary.indexed == len(find_documents(corpus_copy))


def test_open_index_says_what_to_do_when_missing(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="govsearch reindex"):
        open_index(tmp_path / "nothing")


def test_a_second_reindex_stops_with_a_clear_message(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    with reindex_lock(index_dir):
        with pytest.raises(IndexBusy, match=f"process {os.getpid()}"):
            update(corpus_copy, index_dir)
    update(corpus_copy, index_dir)  # the lock is free again


# Takes the lock, forks a worker that outlives it, and dies without letting go (a reindex
# killed while its workers finish their files).
_KILLED_WITH_A_WORKER = """
import os, sys, time
from pathlib import Path
from search.index.store import reindex_lock
with reindex_lock(Path(sys.argv[1])):
    worker = os.fork()
    if worker == 0:
        os.close(1)  # the test reads the parent's output to its end
        os.close(2)
        time.sleep(60)
        os._exit(0)
    print(worker, flush=True)
    os._exit(0)
"""


def test_a_killed_reindex_frees_the_lock_while_its_workers_run_on(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_WITH_A_WORKER, str(index_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    worker = int(killed.stdout)
    try:
        os.kill(worker, 0)  # still running
        with reindex_lock(index_dir):
            pass
    finally:
        os.kill(worker, signal.SIGKILL)


def test_interrupted_full_build_leaves_the_old_index_serving(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    live = live_build(index_dir)
    before = hit_ids(index_dir, "营商环境")
    calls = 0
    real_read = indexer.read_document

    def interrupt_after_three(path: Path, root: Path) -> object:
        nonlocal calls
        calls += 1
        if calls > 3:
            raise KeyboardInterrupt
        return real_read(path, root)

    monkeypatch.setattr(indexer, "read_document", interrupt_after_three)
    with pytest.raises(KeyboardInterrupt):
        full_build(corpus_copy, index_dir)
    monkeypatch.undo()
    assert live_build(index_dir) == live
    assert hit_ids(index_dir, "营商环境") == before
    assert [p.name for p in index_dir.glob(BUILD_PREFIX + "*")] == [live.name]


SLOW_BUILD = """
import sys
from pathlib import Path
from search.index.build import full_build
full_build(Path(sys.argv[1]), Path(sys.argv[2]), procs=1)
print("done")
"""


def _big_corpus(corpus_copy: Path, copies: int) -> None:
    for number in range(copies):
        for path in (corpus_copy / "samples").glob("20*.txt"):
            shutil.copy(path, corpus_copy / "samples" / f"c{number}_{path.name}")


def test_readers_keep_working_during_and_after_a_full_rebuild(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    _big_corpus(corpus_copy, 6)
    index = SearchIndex(index_dir)
    first = run_search(index, SearchRequest.create("营商环境")).total
    build = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, str(corpus_copy), str(index_dir)])
    searches = 0
    while build.poll() is None:
        assert run_search(index, SearchRequest.create("营商环境")).total >= first
        searches += 1
    assert build.returncode == 0
    assert searches > 3
    # the open SearchIndex follows the swap without being reopened by hand
    assert run_search(index, SearchRequest.create("营商环境")).total > first
    index.close()


def test_a_killed_full_build_is_cleaned_up_by_the_next_reindex(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    live = live_build(index_dir)
    before = hit_ids(index_dir, "营商环境")
    _big_corpus(corpus_copy, 10)
    build = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, str(corpus_copy), str(index_dir)])
    deadline = time.monotonic() + 30
    while len(list(index_dir.glob(BUILD_PREFIX + "*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    build.send_signal(signal.SIGKILL)
    build.wait()
    # the half-written build is there, the old one still serves
    assert len(list(index_dir.glob(BUILD_PREFIX + "*"))) == 2
    assert live_build(index_dir) == live
    assert hit_ids(index_dir, "营商环境") == before
    # the next reindex needs no manual cleanup
    summary = full_build(corpus_copy, index_dir)
    assert not summary.failed
    builds = {p.name for p in index_dir.glob(BUILD_PREFIX + "*")}
    assert builds == {live.name, live_build(index_dir).name}


def test_an_index_of_another_version_is_rebuilt_by_the_next_reindex(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir)
    info_path = live_build(index_dir) / BUILD_INFO
    info = json.loads(info_path.read_text("utf-8"))
    info["schema_version"] = SCHEMA_VERSION - 1
    info_path.write_text(json.dumps(info), "utf-8")
    with pytest.raises(IndexMissing, match="another version"):
        open_index(index_dir)
    summary = update(corpus_copy, index_dir)
    assert summary.full and summary.sections == expected_sections(corpus_copy)
    assert hit_ids(index_dir, "扬尘污染防治")  # searchable again


# The modules an index's stored schema names, by the SCHEMA_VERSION that wrote it: Whoosh
# pickles the schema with its analyzers and codec, so an index written before one of them
# moved cannot be opened after. Moving one raises the version, and the next reindex then
# rebuilds the index instead of failing on it.
PICKLED_MODULES = {
    7: {"search.analysis", "search.codec", "search.postings", "search.schema"},
    8: {
        "search.engine.codec",
        "search.engine.postings",
        "search.index.schema",
        "search.text.analysis",
    },
    9: {
        "search.engine.codec",
        "search.engine.postings",
        "search.index.schema",
        "search.text.analysis",
    },
    10: {
        "search.engine.codec",
        "search.engine.postings",
        "search.index.schema",
        "search.text.analysis",
    },
    11: {
        "search.engine.codec",
        "search.engine.postings",
        "search.index.schema",
        "search.text.analysis",
    },
    12: {
        "search.engine.codec",
        "search.engine.postings",
        "search.index.schema",
        "search.text.analysis",
    },
    13: {
        "search.engine.codec",
        "search.engine.postings",
        "search.index.schema",
        "search.text.analysis",
    },
    14: {
        "search.engine.codec",
        "search.engine.postings",
        "search.index.schema",
        "search.text.analysis",
    },
}


def test_the_modules_a_stored_schema_names_go_with_its_version(sample_index: Path) -> None:
    toc = next(live_build(sample_index).glob("*.toc")).read_bytes()
    named = {name.decode() for name in re.findall(rb"search(?:\.[a-z_]+)+", toc)}
    assert named == PICKLED_MODULES[SCHEMA_VERSION]


@pytest.mark.parametrize("procs", [1, 2])
def test_a_date_that_does_not_parse_is_reported_and_the_document_indexed(
    corpus_copy: Path, tmp_path: Path, procs: int
) -> None:
    path = corpus_copy / "samples" / "2021_yangcheng_business_environment.txt"
    text = path.read_text("utf-8")
    path.write_text(
        text.replace("2021年03月02日", "2021年13月45日").replace("2021年03月05日", "明天"), "utf-8"
    )
    summary = full_build(corpus_copy, tmp_path / "ix", procs=procs)
    assert not summary.failed
    assert sorted(str(w) for w in summary.warnings) == [
        f"{path}:2: 成文日期 '2021年13月45日' is not a date (like 2021年01月04日); left out",
        f"{path}:4: 发布日期 '明天' is not a date (like 2021年01月04日); left out",
    ]
    assert "samples/2021_yangcheng_business_environment:s-1" in hit_ids(tmp_path / "ix", "营商环境")

    path.write_text(text.replace("2021年03月05日", "2021年3月"), "utf-8")  # an update sees it too
    again = update(corpus_copy, tmp_path / "ix")
    assert again.updated == 1
    assert [str(w) for w in again.warnings] == [
        f"{path}:4: 发布日期 '2021年3月' is not a date (like 2021年01月04日); left out"
    ]


def test_a_reindex_that_changes_nothing_leaves_the_build_record_alone(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    (corpus_copy / "samples" / "2016_yangcheng_training_rules.txt").unlink()
    update(corpus_copy, index_dir)
    record = live_build(index_dir) / BUILD_INFO
    info, stamp = json.loads(record.read_text("utf-8")), record.stat().st_mtime_ns
    assert info["updated_at"] and info["last_update"]["deleted"] == 1

    time.sleep(1.1)  # updated_at has a resolution of seconds
    summary = update(corpus_copy, index_dir)
    assert summary.unchanged == len(find_documents(corpus_copy))
    assert json.loads(record.read_text("utf-8")) == info
    assert record.stat().st_mtime_ns == stamp


@pytest.fixture
def disk_events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every fsync, replace and rename from now on, in order, with the path it concerned;
    the real calls still run."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append(("replace", str(dst)))
        real_replace(src, dst)

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append(("rename", str(dst)))
        real_rename(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)
    return events


@pytest.mark.parametrize("procs", [1, 2])
def test_a_full_build_is_on_disk_before_current_points_at_it(
    corpus_copy: Path, tmp_path: Path, disk_events: list[tuple[str, str]], procs: int
) -> None:
    """Every file of the new build, its build.json and both directories are flushed before
    the link changes, and the index directory again after it, so a power cut never leaves
    `current` pointing at files that were never written."""
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    events = disk_events
    events.clear()
    full_build(corpus_copy, index_dir, procs=procs)
    build = live_build(index_dir)
    swap = events.index(("replace", str(index_dir / "current")))
    synced_before = {path for kind, path in events[:swap] if kind == "fsync"}
    for path in [*build.iterdir(), build, index_dir.resolve()]:
        assert str(path) in synced_before, path
    assert ("fsync", str(index_dir.resolve())) in events[swap + 1 :]


def test_an_update_is_on_disk_before_it_is_recorded(
    corpus_copy: Path, tmp_path: Path, disk_events: list[tuple[str, str]]
) -> None:
    """The new segment's files are flushed before Whoosh's table of contents names them,
    and the table and the directory before build.json records the update."""
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    events = disk_events
    events.clear()
    (corpus_copy / "samples" / "2016_yangcheng_training_rules.txt").write_text(
        CORPUS.joinpath("samples", "2016_yangcheng_training_rules.txt").read_text("utf-8")
        + "五、附则\n本办法自发布之日起施行。\n",
        "utf-8",
    )
    update(corpus_copy, index_dir)
    build = live_build(index_dir)
    toc = max(build.glob("_MAIN_*.toc"), key=lambda p: p.stat().st_mtime_ns)
    named = events.index(("rename", str(toc)))
    synced_before = {path for kind, path in events[:named] if kind == "fsync"}
    segment_files = [p for p in build.iterdir() if p.suffix != ".toc" and p.name != BUILD_INFO]
    newest = max(segment_files, key=lambda p: p.stat().st_mtime_ns)
    assert str(newest) in synced_before
    synced_after = [path for kind, path in events[named:] if kind == "fsync"]
    assert str(toc) in synced_after and str(build) in synced_after
    assert synced_after.index(str(toc)) < synced_after.index(str(build / BUILD_INFO) + ".tmp")


def test_a_failure_after_the_link_moved_leaves_the_new_build_serving(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once `current` points at a new build, no error (a failing directory flush, say) may
    remove that build."""
    from search.index import store

    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    real_replace, real_fsync_path = os.replace, store.fsync_path
    moved: list[bool] = []

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real_replace(src, dst)
        moved.append(Path(dst).name == "current")

    def fsync_path(path: Path) -> None:
        if any(moved):
            raise OSError(5, "Input/output error", str(path))
        real_fsync_path(path)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(store, "fsync_path", fsync_path)
    with pytest.raises(OSError):
        full_build(corpus_copy, index_dir)
    monkeypatch.undo()
    with open_index(index_dir).searcher() as searcher:
        assert searcher.doc_count() == expected_sections(corpus_copy)


# Whoosh leaves the damaged table of contents open when it fails to read it.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("full", [True, False])
def test_a_reindex_repairs_an_index_whose_table_of_contents_is_damaged(
    corpus_copy: Path, tmp_path: Path, full: bool
) -> None:
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    for toc in live_build(index_dir).glob("_MAIN_*.toc"):
        toc.write_bytes(os.urandom(toc.stat().st_size))
    with pytest.raises(IndexMissing, match="--full"):
        open_index(index_dir)
    summary = (full_build if full else update)(corpus_copy, index_dir)
    assert summary.full and summary.indexed == len(find_documents(corpus_copy))
    with open_index(index_dir).searcher() as searcher:
        assert searcher.doc_count() == expected_sections(corpus_copy)
    gc.collect()  # close the leaked file here, under this test's warning filters
