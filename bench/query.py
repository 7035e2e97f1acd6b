"""Query latency in process, over a realistic mix, against the naive setup in the same run.

    python bench/query.py [--index bench/.index] [--naive bench/.naive] [--per-kind 60]
                          [--rounds 3] [--baseline-checkout OTHER --baseline-index DIR]

Each govsearch query is a full `run_search` for the first page: search, facets, collapse and
highlighted passages. The mix (drawn with a fixed seed from the index itself and from STARD):
  keyword    1-3 words taken from a random section
  pasted     a run of 4-12 characters copied from a document (the known-item sampler)
  question   a STARD dev question, as people ask it
  filtered   a keyword query narrowed to the agency and year of the section it came from
  date       a keyword query sorted newest first
  deep       a keyword query on page 5-20
  repeated   the keyword queries again, answered from the result cache (the other rows are
             measured with the cache off)
Each query runs on both setups in turn, so a busy moment of the shared machine falls on both,
and the mix is run --rounds times (no question embedding kept from one round to the next);
percentiles are over every round's times. The last line takes each query's median over the
rounds first: a moment when the shared machine was busy then counts once, not as the
query's time, and it weighs on a fast setup far more than on a slow one.
First printed: the environment that decides the figures (bench/environment.py: processor
and flags, Python, numpy and its BLAS, thread settings, load, the index's share in the page
cache). Also printed: how long the index's columns take to read (facet values, dates, documents),
which the first search after each reindex waits for; and, per kind, where a govsearch search's
time goes (the mean of its searches, in ms; `search.timing`): compiling the query, the
filters, scoring, embedding a question, meaning (its similarity to every section, the nearest,
the fusion), collapsing (order, one hit per document, the page), facets, passages,
suggestions (did-you-mean, pinyin), the rest; then the CPU time of the searching thread, its
wait for a core (the kernel's run-queue delay: a busy machine), the CPU time that the
process's other threads took meanwhile (the model's threads embedding a question, or idle
threads that spin, competing for the cores) and the pages read from disk; then each kind's
p50 and p95 of the CPU time and of the wall time less the wait for a core. Whether questions
are ranked by meaning (an index that `govsearch embed` has filled) is printed first, and how
the machine's cores were spent while measuring (busy with anyone's work, idle, waiting for
the disk, stolen by the hypervisor) at the end.
The naive setup is jieba's ChineseAnalyzer with Whoosh's default parser over the same
sections (bench/index.py leaves it in bench/.naive): AND for words and pasted runs, OR for
questions, the top 10 (or the deep page) without facets or passages; it has no agency or
date fields, so filtered and date queries run as plain keyword queries there.
With --baseline-checkout, another checkout's whole engine runs in a process of its own
(bench/same_results.py time, that checkout first on its path) over its own index
(--baseline-index, built by that checkout's code), asked one query at a time over a pipe and
timing `run_search` inside, and so does this checkout's, in the same way; the two processes
take turns query by query (each first every other query), their times printed side by side
after a check that both give the same results. Give both
indexes the same build (`--procs 1` puts documents in path order in every version, so the
results can match) and the same GOVSEARCH_SEMANTIC: with it on, questions are re-ranked only
on an index that holds section vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import (  # noqa: E402
    cpu_ticks,
    describe,
    machine_use,
    page_cache,
    read_into_page_cache,
)
from bench.known_items import sample_known_items  # noqa: E402
from bench.relevance import load_stard  # noqa: E402
from bench.same_results import checkout_env  # noqa: E402
from bench.shared import shared_corpus, shared_dir  # noqa: E402
from search.engine.columns import Columns  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.compile import precise_words  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402
from search.timing import STAGES, recording  # noqa: E402
from search.vectors import model as embedding_model  # noqa: E402

KINDS = ("keyword", "pasted", "question", "filtered", "date", "deep")
Query = tuple[str, dict[str, object]]  # text, SearchRequest.create keywords


def sample_mix(index: SearchIndex, per_kind: int, seed: int) -> dict[str, list[Query]]:
    """The query mix, the same for a given index and seed."""
    rng = random.Random(seed)
    keyword: list[Query] = []
    filtered: list[Query] = []
    with index.searcher() as searcher:
        count = searcher.doc_count_all()
        while len(keyword) < per_kind * 3:
            stored = searcher.stored_fields(rng.randrange(count))
            words = [w for w in precise_words(stored.get("body", "")) if len(w) > 1]
            if len(words) < 3:
                continue
            text = " ".join(rng.sample(words, rng.randint(1, 3)))
            keyword.append((text, {}))
            if stored.get("agency") and stored.get("year"):
                filtered.append((text, {"agencies": [stored["agency"]], "year": stored["year"]}))
    stard = load_stard(shared_dir() / "bench" / "stard")
    questions = [(text, {}) for text in list(stard.questions.values())[:per_kind]]
    pasted = [(item.text, {}) for item in sample_known_items(shared_corpus(), per_kind, seed).items]
    return {
        "keyword": keyword[:per_kind],
        "pasted": pasted,
        "question": questions,
        "filtered": filtered[:per_kind],
        "date": [(t, {"sort": "date"}) for t, _ in keyword[per_kind : per_kind * 2]],
        "deep": [(t, {"page": rng.randint(5, 20)}) for t, _ in keyword[per_kind * 2 :]],
    }


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), cuts[94], cuts[98]


def govsearch_runner(index: SearchIndex) -> Callable[[str, Query], float]:
    def run(kind: str, query: Query) -> float:
        request = SearchRequest.create(query[0], **query[1])  # type: ignore[arg-type]
        return timed(lambda: run_search(index, request))

    return run


def questions_by(index: SearchIndex) -> str:
    """Whether questions are ranked by meaning too, on how many sections' vectors."""
    with index.searcher():  # the vectors of the current generation
        vectors = len(index.vectors)
    if not index.semantic:
        return "questions: ranked by words alone (the semantic setting is off)"
    if not vectors:
        return "questions: ranked by words alone (no vectors: `govsearch embed` computes them)"
    return f"questions: ranked by words and by meaning ({vectors:,} vectors)"


def _run_queue_wait() -> float:
    """Seconds this thread has waited for a core so far (0 where the kernel does not say)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


Costs = dict[str, float]  # ms by stage, and "cpu", "waiting", "threads"; "faults"


def _major_faults() -> int:
    """Pages this thread has had to wait for the disk for (not in the page cache)."""
    return resource.getrusage(resource.RUSAGE_THREAD).ru_majflt


class CostedRunner:
    """`run_search` in this process, each search's stages and clocks kept by kind."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.costs: dict[str, list[Costs]] = {kind: [] for kind in KINDS}

    def __call__(self, kind: str, query: Query) -> float:
        request = SearchRequest.create(query[0], **query[1])  # type: ignore[arg-type]
        with recording() as stages:
            faults, thread, process = _major_faults(), time.thread_time(), time.process_time()
            waited, started = _run_queue_wait(), time.perf_counter()
            run_search(self.index, request)
            took = (time.perf_counter() - started) * 1000
            waited = _run_queue_wait() - waited
        thread = time.thread_time() - thread
        costs = {name: seconds * 1000 for name, seconds in stages.seconds.items()}
        costs["rest"] = took - sum(costs.values())
        costs["cpu"] = thread * 1000
        costs["waiting"] = waited * 1000
        costs["threads"] = (time.process_time() - process - thread) * 1000
        costs["faults"] = _major_faults() - faults
        self.costs[kind].append(costs)
        return took


COST_COLUMNS = (*STAGES, "rest", "cpu", "waiting", "threads", "faults")
SHORT = {
    "compiling": "compile",
    "embedding": "embed",
    "collapsing": "collapse",
    "suggestions": "suggest",
}


def print_costs(costs: dict[str, list[Costs]], timings: Timings) -> None:
    """Per kind, the mean of each stage and clock over the measured searches (the warm-up's
    come first and are left out)."""
    print(
        "where a search's time goes, mean ms (cpu, waiting for a core, other threads' cpu;"
        " faults: pages read from disk)"
    )
    labels = [SHORT.get(name, name)[:8] for name in COST_COLUMNS]
    print(f"{'kind':<10}{'wall':>7}" + "".join(f"{label:>9}" for label in labels))
    for kind in KINDS:
        measured = costs[kind][-len(timings[kind]) :]
        line = f"{kind:<10}{statistics.fmean(timings[kind]):>7.1f}"
        for name in COST_COLUMNS:
            line += f"{statistics.fmean(c.get(name, 0.0) for c in measured):>9.2f}"
        print(line)
    print("the searching thread's cpu, and the wall time less its wait for a core (ms):")
    print(f"{'kind':<10}{'cpu p50':>9}{'cpu p95':>9}{'own p50':>9}{'own p95':>9}")
    for kind in KINDS:
        measured = costs[kind][-len(timings[kind]) :]
        cpu = percentiles([c["cpu"] for c in measured])
        own = percentiles([t - c["waiting"] for t, c in zip(timings[kind], measured, strict=True)])
        print(f"{kind:<10}{cpu[0]:>9.1f}{cpu[1]:>9.1f}{own[0]:>9.1f}{own[1]:>9.1f}")


class CheckoutRunner:
    """Another checkout's `run_search` in a process of its own, one query at a time."""

    def __init__(self, checkout: Path, index_dir: Path) -> None:
        command = [sys.executable, str(ROOT / "bench" / "same_results.py"), "time"]
        self.checkout = checkout.resolve()
        command += ["--checkout", str(self.checkout), "--index", str(index_dir.resolve())]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=checkout_env(self.checkout),
        )

    def _ask(self, message: dict[str, object]) -> dict[str, object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f"the process of {self.checkout} ended ({self.process.wait()})")
        reply: dict[str, object] = json.loads(line)
        return reply

    def __call__(self, kind: str, query: Query) -> float:
        return float(self._ask({"text": query[0], "options": query[1]})["ms"])  # type: ignore[arg-type]

    def digest(self, query: Query) -> str:
        return str(self._ask({"text": query[0], "options": query[1], "digest": True})["digest"])

    def new_round(self) -> None:
        self._ask({"round": True})

    def close(self) -> None:
        self.process.communicate()  # its end of input: the process finishes and exits


def differing_between(
    ours: CheckoutRunner, other: CheckoutRunner, mix: dict[str, list[Query]]
) -> int:
    """How many queries of the mix the two checkouts answer otherwise."""
    queries = [query for kind in mix for query in mix[kind]]
    return sum(ours.digest(query) != other.digest(query) for query in queries)


def naive_runner(naive_dir: Path) -> Callable[[str, Query], float]:
    from whoosh import index as whoosh_index
    from whoosh.qparser import OrGroup, QueryParser

    ix = whoosh_index.open_dir(str(naive_dir))
    searcher = ix.searcher()
    parsers = {
        "and": QueryParser("body", ix.schema),
        "or": QueryParser("body", ix.schema, group=OrGroup),
    }

    def run(kind: str, query: Query) -> float:
        parser = parsers["or" if kind == "question" else "and"]
        page = int(query[1].get("page", 1))  # type: ignore[call-overload]

        def search() -> None:
            searcher.search(parser.parse(query[0]), limit=page * 10)

        return timed(search)

    return run


Timings = dict[str, list[float]]
Runner = Callable[[str, Query], float]


def measure(
    runners: dict[str, Runner],
    mix: dict[str, list[Query]],
    rounds: int,
    on_round: Sequence[Callable[[], None]] = (),
) -> dict[str, Timings]:
    """Each runner's times by kind, over `rounds` passes of the mix. The runners take turns
    query by query, so a busy moment of a shared machine falls on both; each round starts
    with no question embedded (the rounds repeat the mix, not a user's next page), here and
    in the processes that `on_round` tells."""
    for run in runners.values():
        for kind in mix:  # warm up: caches, first-use imports, the OS page cache
            for query in mix[kind][:3]:
                run(kind, query)
    times: dict[str, Timings] = {name: {kind: [] for kind in mix} for name in runners}
    turns = list(runners.items())
    for _ in range(rounds):
        embedding_model.QUESTION_VECTORS.clear()
        for forget in on_round:
            forget()
        for kind in mix:
            for number, query in enumerate(mix[kind]):
                # Each runner goes first every other query: what the first leaves warm (a
                # question's embedding, say) helps both alike.
                for name, run in turns if number % 2 == 0 else turns[::-1]:
                    times[name][kind].append(run(kind, query))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "bench" / ".index")
    parser.add_argument("--naive", type=Path, default=ROOT / "bench" / ".naive")
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the mix")
    parser.add_argument(
        "--baseline-checkout", type=Path, help="another checkout, its engine in its own process"
    )
    parser.add_argument("--baseline-index", type=Path, help="its index, built by its code")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="leave the indexes as the page cache has them (by default each is read once first)",
    )
    args = parser.parse_args()
    if not (args.index / "current").exists():
        sys.exit(f"no index in {args.index}: run bench/index.py first")
    if args.baseline_checkout and not (args.baseline_index / "current").exists():
        sys.exit("--baseline-checkout needs --baseline-index: an index built by that checkout")
    # Before anything reads the index: how much of it the run starts with in the page cache.
    print("\n".join(describe(args.index)))
    if not args.cold:
        # Posting runs read from the disk rather than the page cache cost CPU time too, and
        # the first run after a build finds part of the index evicted: every index is read
        # once, so that each run measures what a server meets once it has been answering.
        for folder in (args.baseline_index, args.naive, args.index):  # the measured one last
            if folder is not None and folder.exists():
                read_into_page_cache(folder)
        print(f"then read into it whole: {page_cache(args.index)} (--cold: not)")
    on_round: list[Callable[[], None]] = []
    with ExitStack() as stack:
        index = stack.enter_context(SearchIndex(args.index, cache_size=0))  # computed afresh
        mix = sample_mix(index, args.per_kind, args.seed)
        with index.searcher() as searcher:  # what the first search of a new index pays
            opening = statistics.median(timed(lambda: Columns(searcher)) for _ in range(5))
        print(questions_by(index))
        costed = CostedRunner(index)
        runners: dict[str, Runner] = {"govsearch": costed}
        if args.baseline_checkout:
            # This checkout's engine runs in a process of its own too: a process that also
            # holds the mix and the runners searches measurably slower than one that does not.
            pair = {
                "govsearch": CheckoutRunner(ROOT, args.index),
                "baseline": CheckoutRunner(args.baseline_checkout, args.baseline_index),
            }
            for runner in pair.values():
                stack.callback(runner.close)
                on_round.append(runner.new_round)
            differing = differing_between(pair["govsearch"], pair["baseline"], mix)
            queries = sum(len(queries) for queries in mix.values())
            print(f"results differing from {args.baseline_checkout}'s: {differing} of {queries}")
            runners.update(pair)
        if (args.naive / "MAIN_WRITELOCK").exists() or any(args.naive.glob("*.toc")):
            runners["naive"] = naive_runner(args.naive)
        else:
            print(f"(no naive index in {args.naive}: bench/index.py --keep-naive builds it)")
        ticks = cpu_ticks()
        timings = measure(runners, mix, args.rounds, on_round)
        use = machine_use(ticks, cpu_ticks())
    ours, naive = timings["govsearch"], timings.get("naive")
    if "baseline" in timings:
        print_beside(timings["baseline"], ours, args.rounds)
    with SearchIndex(args.index) as index:  # popular queries again: the result cache
        cached_run = govsearch_runner(index)
        for query in mix["keyword"]:
            cached_run("keyword", query)
        repeated = [cached_run("keyword", query) for query in mix["keyword"]]
    print(f"columns of the index read for facets and sorting in {opening:.0f} ms")
    if all(costed.costs.values()):  # searched in this process
        print_costs(costed.costs, ours)
    print(f"the machine's cores while measuring: {use}")
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"{'kind':<10}{'n':>4}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}", end="")
    print(f"{'naive p50':>11}{'naive p95':>11}{'p95 ratio':>11}" if naive else "")
    for kind in KINDS:
        p50, p95, p99 = percentiles(ours[kind])
        line = f"{kind:<10}{len(ours[kind]):>4}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
        if naive:
            n50, n95, _ = percentiles(naive[kind])
            line += f"{n50:>11.1f}{n95:>11.1f}{n95 / p95:>10.2f}x"
        print(line)
    p50, p95, p99 = percentiles(repeated)
    print(f"{'repeated':<10}{len(repeated):>4}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}  (keyword, cached)")
    # The whole mix (without the cached repeats), as a user meets it.
    for label, combine in (("all", every_time), ("all, med", each_query_median)):
        times = combine(ours, args.rounds)
        p50, p95, p99 = percentiles(times)
        line = f"{label:<10}{len(times):>4}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
        if naive:
            n50, n95, _ = percentiles(combine(naive, args.rounds))
            line += f"{n50:>11.1f}{n95:>11.1f}{n95 / p95:>10.2f}x"
        print(line)


def print_beside(baseline: Timings, ours: Timings, rounds: int) -> None:
    """The baseline's times and this checkout's, kind by kind, measured in turns."""
    print(f"{'kind':<10}{'n':>4}{'base p50':>10}{'this p50':>10}{'base p95':>10}{'this p95':>10}")
    rows = [(kind, baseline[kind], ours[kind]) for kind in KINDS]
    for label, combine in (("all", every_time), ("all, med", each_query_median)):
        rows.append((label, combine(baseline, rounds), combine(ours, rounds)))
    for label, theirs, mine in rows:
        t50, t95, _ = percentiles(theirs)
        m50, m95, _ = percentiles(mine)
        print(f"{label:<10}{len(mine):>4}{t50:>10.1f}{m50:>10.1f}{t95:>10.1f}{m95:>10.1f}")
    print()


def every_time(timings: Timings, rounds: int) -> list[float]:
    return [v for values in timings.values() for v in values]


def each_query_median(timings: Timings, rounds: int) -> list[float]:
    """Each query's median time over the rounds (a kind's times are round after round)."""
    medians = []
    for values in timings.values():
        per_round = len(values) // rounds
        medians += [statistics.median(values[i::per_round]) for i in range(per_round)]
    return medians


if __name__ == "__main__":
    main()
