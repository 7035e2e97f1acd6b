"""Where an index's bytes go: by kind of file, by part, by field, and per section.

    python bench/footprint.py --index DIR [--json]

DIR is an index directory (its `current` build is measured; a sharded directory, each
shard's), or one build. Printed:
  * every kind of file of a build (the segment's name left out), with its bytes;
  * the parts they make: the postings' document numbers, weights, positions, character
    offsets, the term tables (Whoosh's and the flat one), stored fields, field lengths,
    columns, completions, definitions; section vectors (beside the builds, not part of the
    index) are shown apart;
  * the posting files by field (document numbers, weights, positions, offsets), read from
    each segment's term table: a field's terms are one run of rows, so its postings are one
    stretch of each file;
  * each part per section.
Posting files of the packed format (search/engine/packing.py) and of the earlier flat one
(uint32 values, float32 weights) are both measured, so two builds can be compared.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from whoosh.codec.whoosh3 import W3Codec  # noqa: E402
from whoosh.filedb.filestore import FileStorage  # noqa: E402
from whoosh.index import TOC  # noqa: E402

from search.engine.packing import EXCEPTION_VALUE_BYTES, MAGIC, PackedReader  # noqa: E402

STREAMS = {  # posting file: (part, bytes per value in the earlier flat format)
    ".gsdocs": ("postings: document numbers", 4),
    ".gsweights": ("postings: weights", 4),
    ".gspos": ("postings: positions", 4),
    ".gschars": ("postings: character offsets", 8),
    ".gslens": ("postings: character offsets", 4),
}
TERM_TABLES = (".trm", ".gsterms.npy", ".gskeys.npy", ".gsorder.npy", ".pst")
ROW_COLUMN = {".gsdocs": 0, ".gsweights": 0, ".gspos": 2, ".gschars": 3, ".gslens": 3}


@dataclass
class Footprint:
    sections: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    parts: Counter[str] = field(default_factory=Counter)
    fields: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    vectors: int = 0

    @property
    def total(self) -> int:
        return sum(self.parts.values())


def kind_of(name: str, segments: set[str]) -> str:
    """A file's kind: its name without the segment's."""
    for segment in segments:
        if name.startswith(segment + "."):
            return name[len(segment) :]
    if name.startswith("_") and name.endswith(".toc"):
        return ".toc"
    return name


def part_of(kind: str) -> str:
    if kind in STREAMS:
        return STREAMS[kind][0]
    if kind in TERM_TABLES:
        return "term tables"
    if kind == "._stored.col":
        return "stored fields"
    if kind.endswith("_len.col"):
        return "field lengths"
    if kind.endswith(".col"):
        return "columns"
    if kind.startswith("completions"):
        return "completions"
    if kind.startswith("definitions"):
        return "definitions"
    return "other"


def builds(index_dir: Path) -> list[Path]:
    """The builds to measure: the current one, each shard's, or DIR itself."""
    if (index_dir / "current").exists():
        return [(index_dir / "current").resolve()]
    shards = sorted(p for p in index_dir.glob("shard-*") if (p / "current").exists())
    if shards:
        return [(shard / "current").resolve() for shard in shards]
    return [index_dir]


def measure(index_dir: Path) -> Footprint:
    found = Footprint()
    for build in builds(index_dir):
        # Whoosh's own codec reads the term tables, whatever the format of the flat files.
        storage = FileStorage(str(build))
        segments = set()
        for segment in TOC.read(storage, "MAIN").segments:
            found.sections += segment.doc_count_all()
            segments.add(segment.segment_id())
            terms = W3Codec().terms_reader(storage, segment)
            try:
                _by_field(build / segment.segment_id(), terms, found)
            finally:
                terms.close()
        for path in build.iterdir():
            if path.is_file():
                kind = kind_of(path.name, segments)
                size = path.stat().st_size
                found.kinds[kind] += size
                found.parts[part_of(kind)] += size
    vectors = index_dir / "vectors"
    if vectors.is_dir():
        found.vectors = sum(p.stat().st_size for p in vectors.rglob("*") if p.is_file())
    return found


def _field_rows(terms: Any) -> list[tuple[str, int, int]]:
    """(field, first row, end row) of each field's run of terms, in the term table's order."""
    runs: list[tuple[str, int, int]] = []
    for row, (fieldname, _) in enumerate(terms.terms()):
        if runs and runs[-1][0] == fieldname:
            runs[-1] = (fieldname, runs[-1][1], row + 1)
        else:
            runs.append((fieldname, row, row + 1))
    return runs


def _by_field(base: Path, terms: Any, found: Footprint) -> None:
    if not Path(f"{base}.gsterms.npy").exists():
        return
    rows = np.load(f"{base}.gsterms.npy").astype(np.int64)
    runs = _field_rows(terms)
    if len(rows) != (runs[-1][2] if runs else 0):
        raise SystemExit(f"{base.name}: the term table and the flat rows disagree")
    for ext, column in ROW_COLUMN.items():
        path = Path(f"{base}{ext}")
        if not path.exists():
            continue
        starts = [int(rows[first, column]) for _, first, _ in runs]
        for (fieldname, _, _), start, end in zip(runs, starts, [*starts[1:], None], strict=True):
            found.fields[fieldname][STREAMS[ext][0]] += _stretch_bytes(path, ext, start, end)


def _stretch_bytes(path: Path, ext: str, start: int, end: int | None) -> int:
    """Bytes that values start to end (None: to the last) take in a posting file."""
    with path.open("rb") as opened:
        magic = opened.read(len(MAGIC))
    if magic != MAGIC:  # the earlier flat format
        width = STREAMS[ext][1]
        stop = path.stat().st_size // width if end is None else end
        return (stop - start) * width
    reader = PackedReader(str(path), "<u4")
    try:
        stop = reader.count if end is None else end
        exceptions = reader.exceptions_between(start, stop)
        exceptions *= reader.index_bytes + EXCEPTION_VALUE_BYTES
        return ((stop - start) * reader.bits + 7) // 8 + exceptions
    finally:
        reader.close()


def report(found: Footprint) -> list[str]:
    mb = 1024 * 1024
    per = max(found.sections, 1)
    lines = [
        f"sections: {found.sections:,}; total {found.total:,} bytes",
        "",
        "file kind | bytes | MiB | bytes/section",
    ]
    for kind, size in found.kinds.most_common():
        lines.append(f"{kind} | {size:,} | {size / mb:.1f} | {size / per:.1f}")
    lines += ["", "part | MiB | bytes/section | share"]
    for part, size in found.parts.most_common():
        share = size / max(found.total, 1)
        lines.append(f"{part} | {size / mb:.1f} | {size / per:.1f} | {share:.1%}")
    lines.append(f"total | {found.total / mb:.1f} | {found.total / per:.1f} | 100%")
    lines.append(
        f"section vectors (apart) | {found.vectors / mb:.1f} | {found.vectors / per:.1f} |"
    )
    streams = sorted({part for part, _ in STREAMS.values()})
    lines += ["", "field | " + " | ".join(f"{s[10:]} MiB" for s in streams) + " | bytes/section"]
    for fieldname, sizes in sorted(found.fields.items(), key=lambda kv: -sum(kv[1].values())):
        cells = " | ".join(f"{sizes[s] / mb:.1f}" for s in streams)
        lines.append(f"{fieldname} | {cells} | {sum(sizes.values()) / per:.1f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    found = measure(args.index)
    if args.json:
        document = {
            "sections": found.sections,
            "total": found.total,
            "vectors": found.vectors,
            "kinds": dict(found.kinds),
            "parts": dict(found.parts),
            "fields": {name: dict(sizes) for name, sizes in found.fields.items()},
        }
        print(json.dumps(document, ensure_ascii=False, indent=1))
    else:
        print("\n".join(report(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
