"""bench/footprint.py: every byte of a build counted once, the posting files by field."""

from __future__ import annotations

from pathlib import Path

from bench.footprint import STREAMS, measure, report
from search.index.store import live_build


def test_every_byte_of_the_build_is_counted_once(sample_index: Path) -> None:
    found = measure(sample_index)
    build = live_build(sample_index)
    on_disk = sum(path.stat().st_size for path in build.iterdir() if path.is_file())
    assert found.total == sum(found.kinds.values()) == on_disk
    assert found.sections > 0
    assert found.parts["stored fields"] > 0 and found.parts["term tables"] > 0


def test_the_posting_files_are_split_by_field_without_a_byte_left_over(
    sample_index: Path,
) -> None:
    found = measure(sample_index)
    for part in {part for part, _ in STREAMS.values()}:
        by_field = sum(sizes[part] for sizes in found.fields.values())
        headers_and_all = found.parts[part]
        # What is not a field's is the packed files' headers (24 bytes each, per segment).
        assert 0 <= headers_and_all - by_field <= 2 * 24 * len(found.kinds)
    assert found.fields["body"]["postings: positions"] > 0
    assert found.fields["body"]["postings: character offsets"] > 0
    assert found.fields["body_bigram"]["postings: character offsets"] == 0
    assert any(line.startswith("total |") for line in report(found))
