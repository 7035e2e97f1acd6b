"""Everything a user sees for a wide, fixed set of searches, and whether two checkouts agree.

    python bench/same_results.py dump --index DIR --out FILE [--checkout DIR] [--per-kind 60]
                                      [--seed 7] [--known-items 300] [--python EXE]
    python bench/same_results.py compare OLD.json NEW.json [--show 10]
    python bench/same_results.py time --checkout DIR --index DIR   (bench/query.py runs it)

`dump` imports the engine of one checkout (default: this one) in a process of its own, with
that checkout first on `sys.path`, so two versions never share a process, and writes one JSON
file: for each search the hits in order (ids, titles, headings, passages...), their scores
rounded to 1e-9, the totals, `relaxed`, `full_matches`, the facets and the suggestion. The
searches, built by that checkout's own benchmark code from $GOVSEARCH_SHARED:
  the mix of bench/query.py (keyword, pasted, question, filtered, date, deep; --per-kind and
  --seed as there), the keyword queries again with sections not collapsed;
  every judged STARD dev question of bench/relevance.py (both halves) as relevance.py asks it
  (100 sections, not collapsed), and as a user does: the first page, sorted by date, page 3,
  and filtered to the years 2000-2020;
  the pasted runs of relevance.py's known-item part (--known-items, seed 7).
Give each checkout an index of the same corpus built by its own code (`govsearch reindex
--full --procs 1` run with that checkout first on PYTHONPATH): a version opens only the
indexes of its own SCHEMA_VERSION, and sections of equal score rank by document number,
which only a build in one process gives alike in every version (documents in path order).
Questions are re-ranked by meaning only where the index holds section vectors: without them
the dump runs with GOVSEARCH_SEMANTIC=off (unless that is set), and records which.

`compare` matches two dumps search by search and prints how many differ and the first few
differences; it exits 1 when they differ, 0 when every search shows the same.

`time` answers searches read one JSON line at a time on standard input with the time the
checkout's `run_search` took and a digest of what a user sees, for bench/query.py's
--baseline-checkout, which times two checkouts in turns in one run.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCORE_DIGITS = 9
DEV_VARIANTS: dict[str, dict[str, object]] = {
    "first page": {},
    "date": {"sort": "date"},
    "page 3": {"page": 3},
    "years 2000-2020": {"year": "2000-2020"},
}
KNOWN_ITEM_SEED = 7  # bench/relevance.py's
Search = tuple[str, str, dict[str, object]]  # kind, text, SearchRequest.create keywords


# --- dump: the parent process --------------------------------------------------------------


def has_vectors(index_dir: Path) -> bool:
    """Whether any section vector is stored beside the index's builds."""
    return any((index_dir / "vectors").rglob("*.vecs.npy"))


def checkout_env(checkout: Path) -> dict[str, str]:
    """The environment of a process that runs the checkout's engine."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(checkout), env.get("PYTHONPATH", "")]).rstrip(":")
    # The shared data beside this checkout, wherever the other one lives.
    env.setdefault("GOVSEARCH_SHARED", str(ROOT.parent / "shared"))
    return env


def dump(args: argparse.Namespace) -> int:
    checkout = args.checkout.resolve()
    env = checkout_env(checkout)
    if "GOVSEARCH_SEMANTIC" not in env and not has_vectors(args.index):
        env["GOVSEARCH_SEMANTIC"] = "off"
    command = [
        str(args.python),
        str(Path(__file__).resolve()),
        "searches",
        "--checkout",
        str(checkout),
        "--index",
        str(args.index.resolve()),
        "--out",
        str(args.out.resolve()),
        "--per-kind",
        str(args.per_kind),
        "--seed",
        str(args.seed),
        "--known-items",
        str(args.known_items),
    ]
    return subprocess.run(command, env=env, check=False).returncode


def _commit(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


# --- searches: the child process, inside the checkout -----------------------------------------


def _first_of(*names: str) -> ModuleType:
    """The first of the modules that imports: a name after the packages' move, then before."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name is None or not name.startswith(error.name):
                raise
    raise ModuleNotFoundError(f"none of {', '.join(names)}")


def _engine(checkout: Path) -> dict[str, Any]:
    """The checkout's engine and benchmark code, refusing any module found elsewhere."""
    sys.path[:] = [str(checkout)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT]
    # An editable install of another checkout would answer for the modules this one lacks.
    sys.meta_path[:] = [
        finder
        for finder in sys.meta_path
        if not getattr(finder, "__module__", "").startswith("__editable__")
    ]
    parts = {
        "SearchIndex": _first_of("search.index.live", "search.live").SearchIndex,
        "request": _first_of("search.query.request", "search.query"),
        "run_search": importlib.import_module("search.results").run_search,
        "query_bench": importlib.import_module("bench.query"),
        "relevance_bench": importlib.import_module("bench.relevance"),
        "known_items": importlib.import_module("bench.known_items"),
        "shared": importlib.import_module("bench.shared"),
    }
    for name, module in list(sys.modules.items()):
        origin = Path(getattr(module, "__file__", None) or "/").resolve()
        if name.split(".")[0] in ("search", "bench") and checkout not in origin.parents:
            sys.exit(f"{name} was imported from {origin}, not from {checkout}")
    return parts


def build_searches(engine: dict[str, Any], index: Any, args: argparse.Namespace) -> list[Search]:
    """The fixed, wide set of searches, as the checkout's own benchmarks build them."""
    mix = engine["query_bench"].sample_mix(index, args.per_kind, args.seed)
    searches: list[Search] = [(kind, text, dict(opts)) for kind in mix for text, opts in mix[kind]]
    searches += [("keyword, sections", text, {"collapse": False}) for text, _ in mix["keyword"]]
    relevance = engine["relevance_bench"]
    stard = relevance.load_stard(engine["shared"].shared_dir() / "bench" / "stard")
    judged = [qid for qid in stard.questions if qid in stard.relevant]
    for half, qids in zip(("tuning", "checking"), relevance.split_questions(judged), strict=True):
        for qid in qids:
            text = stard.questions[qid]
            searches.append((f"dev {half} {qid}, as ranked", text, _as_ranked(engine)))
            for variant, options in DEV_VARIANTS.items():
                searches.append((f"dev {half} {qid}, {variant}", text, dict(options)))
    corpus = engine["shared"].shared_corpus()
    sample = engine["known_items"].sample_known_items(corpus, args.known_items, KNOWN_ITEM_SEED)
    searches += [("known item", item.text, {"size": 100}) for item in sample.items]
    return searches


def _as_ranked(engine: dict[str, Any]) -> dict[str, object]:
    """bench/relevance.py's request: its 100 sections, not collapsed."""
    return {"size": engine["request"].MAX_SIZE, "collapse": False}


def plain(value: Any) -> Any:
    """JSON-ready copy: dataclasses and tuples become objects and lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def what_a_user_sees(results: Any) -> dict[str, Any]:
    """The API's document for the results, without its timing, and the hits' scores."""
    shown = plain(results.to_json())
    shown.pop("took_ms", None)
    shown["scores"] = [round(float(hit.score), SCORE_DIGITS) for hit in results.hits]
    return shown


def search_all(args: argparse.Namespace) -> None:
    checkout = args.checkout.resolve()
    engine = _engine(checkout)
    create = engine["request"].SearchRequest.create
    run_search: Callable[[Any, Any], Any] = engine["run_search"]
    records = []
    with engine["SearchIndex"](args.index, cache_size=0) as index:
        searches = build_searches(engine, index, args)
        for kind, text, options in searches:
            try:
                result = what_a_user_sees(run_search(index, create(text, **options)))
            except Exception as error:  # a search that fails is an outcome to compare too
                result = {"error": f"{type(error).__name__}: {error}"}
            records.append({"kind": kind, "text": text, "options": options, "result": result})
    dumped = {
        "checkout": str(checkout),
        "commit": _commit(checkout),
        "index": str(args.index),
        "shared": os.environ["GOVSEARCH_SHARED"],
        "semantic": os.environ.get("GOVSEARCH_SEMANTIC", "on"),
        "searches": records,
    }
    args.out.write_text(json.dumps(dumped, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"{len(records)} searches of {checkout} ({dumped['commit'][:7]}) in {args.out}")


def result_digest(results: Any) -> str:
    """A short fingerprint of what a user sees, to tell two engines' answers apart."""
    shown = json.dumps(what_a_user_sees(results), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()


def _forget_questions() -> None:
    """Empty the checkout's cache of embedded questions (before and after the packages' move)."""
    model = sys.modules.get("search.vectors.model")
    if model is not None:
        model.QUESTION_VECTORS.clear()
    semantic = sys.modules.get("search.semantic")
    if semantic is not None and hasattr(semantic, "question_vector"):
        semantic.question_vector.cache_clear()


def time_searches(args: argparse.Namespace) -> None:
    """Answer each line of standard input: `{"text", "options"}` with the milliseconds of the
    checkout's `run_search` (and the results' digest when `"digest"` is true); `{"round":
    true}` forgets the embedded questions, as bench/query.py does before each round."""
    engine = _engine(args.checkout.resolve())
    create = engine["request"].SearchRequest.create
    run_search: Callable[[Any, Any], Any] = engine["run_search"]
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # what the engine may print must not mix with the replies
    with engine["SearchIndex"](args.index, cache_size=0) as index:
        for line in sys.stdin:
            message = json.loads(line)
            reply: dict[str, object] = {}
            if message.get("round"):
                _forget_questions()
            else:
                request = create(message["text"], **message["options"])
                started = time.perf_counter()
                results = run_search(index, request)
                reply["ms"] = (time.perf_counter() - started) * 1000
                if message.get("digest"):
                    reply["digest"] = result_digest(results)
            replies.write(json.dumps(reply) + "\n")
            replies.flush()


# --- compare ----------------------------------------------------------------------------


def search_key(record: dict[str, Any]) -> str:
    return json.dumps([record["kind"], record["text"], record["options"]], ensure_ascii=False)


def differences(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Where two JSON values differ, as `path: old != new` lines."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new or key not in old:
                yield f"{path}.{key}: {'missing' if key not in old else 'present'} in the old dump"
                continue
            yield from differences(old[key], new[key], f"{path}.{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for n, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from differences(a, b, f"{path}[{n}]")
    elif old != new:
        yield f"{path or '.'}: {_short(old)} != {_short(new)}"


def _short(value: Any, width: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def compare(old_path: Path, new_path: Path, show: int) -> int:
    """Print how the two dumps differ; 1 when they do, 0 when they agree."""
    old, new = (json.loads(p.read_text("utf-8")) for p in (old_path, new_path))
    print(f"old: {old['checkout']} ({old['commit'][:7]}), semantic {old['semantic']}")
    print(f"new: {new['checkout']} ({new['commit'][:7]}), semantic {new['semantic']}")
    old_results = {search_key(r): r["result"] for r in old["searches"]}
    new_results = {search_key(r): r["result"] for r in new["searches"]}
    only_old = [k for k in old_results if k not in new_results]
    only_new = [k for k in new_results if k not in old_results]
    changed = [
        (key, list(differences(old_results[key], new_results[key])))
        for key in old_results
        if key in new_results and old_results[key] != new_results[key]
    ]
    shared = len(old_results) - len(only_old)
    print(f"{shared} searches in both, {len(changed)} of them differ")
    problems = []
    if old["semantic"] != new["semantic"]:
        problems.append(f"settings: semantic {old['semantic']} != {new['semantic']}")
    problems += [f"only in the old dump: {key}" for key in only_old]
    problems += [f"only in the new dump: {key}" for key in only_new]
    for key, found in changed:
        problems.append(f"{key}: {len(found)} differences, first {found[0]}")
        problems += [f"    {line}" for line in found[1:3]]
    for line in problems[:show]:
        print(line)
    if len(problems) > show:
        print(f"... and {len(problems) - show} more lines")
    print("identical" if not problems else "DIFFERENT")
    return 1 if problems else 0


# --- command line --------------------------------------------------------------------------


def _search_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkout", type=Path, default=ROOT, help="default: this checkout")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    parser.add_argument("--per-kind", type=int, default=60, help="as bench/query.py")
    parser.add_argument("--seed", type=int, default=7, help="bench/query.py's mix seed")
    parser.add_argument("--known-items", type=int, default=300, help="pasted runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="write what a checkout's engine shows")
    _search_options(dumping)
    dumping.add_argument("--python", type=Path, default=Path(sys.executable))
    _search_options(commands.add_parser("searches", help="(run by dump, inside the checkout)"))
    timing = commands.add_parser("time", help="time searches read from standard input")
    timing.add_argument("--checkout", type=Path, default=ROOT, help="default: this checkout")
    timing.add_argument("--index", type=Path, required=True)
    comparing = commands.add_parser("compare", help="the differences of two dumps")
    comparing.add_argument("old", type=Path)
    comparing.add_argument("new", type=Path)
    comparing.add_argument("--show", type=int, default=10, help="difference lines printed")
    args = parser.parse_args()
    if args.command == "compare":
        sys.exit(compare(args.old, args.new, args.show))
    if not (args.index / "current").exists():
        sys.exit(f"no index in {args.index}: run `govsearch reindex --index {args.index}`")
    if args.command == "dump":
        sys.exit(dump(args))
    if args.command == "time":
        time_searches(args)
        return
    search_all(args)


if __name__ == "__main__":
    main()
