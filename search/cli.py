"""The `govsearch` command: thin; parses options, calls the library, prints."""

from __future__ import annotations

import importlib.metadata
import json
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from search import config, querylog
from search.complete import DEFAULT_LIMIT, MAX_LIMIT, complete
from search.errors import CorpusRefused, IndexBusy, IndexMissing, QueryError, SearchError
from search.facets import DATE_RANGE, FACETS, SCOPE
from search.highlight import Passage
from search.index.build import Progress, ReindexSummary, full_build, update
from search.index.embedding import Embedder, EmbedSummary, embed_in_batches, embed_index
from search.index.live import SearchIndex
from search.index.shards import (
    MAX_SHARDS,
    ShardedIndex,
    ShardsRefused,
    index_directories,
    open_search_index,
    planned_shards,
    read_tables,
    reindex_shards,
)
from search.index.shrink import ShrinkGuard, parse_limit
from search.progress import ProgressBar
from search.query.request import MAX_PAGE, MAX_SIZE, SORTS, SearchRequest
from search.results import SearchHit, run_search
from search.stats import index_stats

if TYPE_CHECKING:
    from search.cluster.embedding import ClusterEmbedder

EXIT_FAILED_FILES = 1
EXIT_USAGE = 2
EXIT_NOT_RUN = 3
EXIT_WRITE_FAILED = 4
COMMANDS_GROUP = "govsearch.commands"


class NotRun(click.ClickException):
    """The command could not start (index busy or missing); nothing was changed."""

    exit_code = EXIT_NOT_RUN


class WriteFailed(click.ClickException):
    """The index could not be written (disk full, say); the previous index still serves."""

    exit_code = EXIT_WRITE_FAILED


def port_option(function: Any) -> Any:
    """--port: the TCP port a server listens on, 0 for any free one (a usage error outside
    0-65535)."""
    port = click.IntRange(0, 65535)
    return click.option("--port", default=5000, show_default=True, type=port)(function)


def index_option(function: Any) -> Any:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Index directory [env {config.SETTINGS[0].env}; default {config.get('index')}].",
    )(function)


class ReindexProgress(Progress):
    """A reindex's progress on the bar: files, with sections and MB/s beside them."""

    def __init__(self, quiet: bool) -> None:
        self.bar = ProgressBar("indexing", quiet=quiet, figures=self._figures)
        self.sections = 0
        self.nbytes = 0
        self.started = time.monotonic()

    def _figures(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return f"{self.sections} sections, {self.nbytes / elapsed / 1e6:.2f} MB/s"

    def start(self, files: int) -> None:
        self.started = time.monotonic()
        self.bar.add_work(files)

    def advance(self, files: int, sections: int, nbytes: int) -> None:
        self.sections += sections
        self.nbytes += nbytes
        self.bar.advance(files)

    def finish(self, message: str) -> None:
        self.bar.finish(message)


def _print_summary(summary: ReindexSummary, bar: ProgressBar) -> None:
    kind = "full build" if summary.full else "update"
    bar.echo(
        f"{kind}: {summary.indexed} indexed, {summary.updated} updated, "
        f"{summary.deleted} deleted, {summary.unchanged} unchanged, "
        f"{len(summary.failed)} failed, {_count(len(summary.warnings), 'warning')}; "
        f"{summary.sections} sections in {summary.seconds:.1f} s"
    )
    for failure in summary.failed:
        click.echo(f"failed: {failure}", err=True)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)


class CommandGroup(click.Group):
    """The commands defined here, and those other packages add under the entry-point group
    `govsearch.commands` (the web server's `serve`), loaded only when asked for, so the
    engine never imports the web front end and `reindex` does not wait for Flask."""

    def _plugins(self) -> dict[str, importlib.metadata.EntryPoint]:
        found = importlib.metadata.entry_points(group=COMMANDS_GROUP)
        return {entry.name: entry for entry in found}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in (plugins := self._plugins()):
            command = plugins[cmd_name].load()
        return command


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govsearch")
def cli() -> None:
    """Search Chinese government documents, section by section."""


@cli.command()
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help=f"Documents to index [env GOVSEARCH_CORPUS; default {config.get('corpus')}].",
)
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch (swapped in when complete).")
@click.option(
    "--procs",
    type=click.IntRange(1, 64),
    default=None,
    help=f"Processes for a full build [env GOVSEARCH_PROCS; default {config.get('procs')}].",
)
@click.option(
    "--allow-shrink",
    is_flag=True,
    help="Confirm a reindex that removes more documents than "
    f"GOVSEARCH_SHRINK_LIMIT allows [default {config.get('shrink_limit')}].",
)
@click.option(
    "--shards",
    type=click.IntRange(1, MAX_SHARDS),
    default=None,
    help="Split the documents into this many shards (DIR/shard-00, ...), by a stable hash "
    "of doc_id [default: as the index's shards.json says; none: one index].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary; failures still.")
def reindex(  # noqa: PLR0913 - one argument per option
    corpus: Path | None,
    index_dir: Path | None,
    full: bool,
    procs: int | None,
    allow_shrink: bool,
    shards: int | None,
    quiet: bool,
) -> None:
    """Index the corpus: only changed files, or everything with --full.

    With --shards N, each document goes to one of N ordinary indexes in the directory
    (all its sections together), each swapped in and updated on its own: an update
    writes only the shards of the files that changed. Searches, the server and `embed`
    read a sharded directory as one index. The number of shards of a directory is fixed.

    Exit status: 0 when every file went in, 1 when some failed (the rest are indexed),
    2 for usage errors, 3 when the reindex did not start or was refused with nothing
    changed (another reindex is running; the corpus has no readable document; it would
    remove more documents than allowed), 4 when the index could not be written (the disk
    is full, say: the previous index keeps serving).
    """
    corpus = config.get_path("corpus", corpus)
    if not corpus.is_dir():
        raise click.UsageError(f"corpus directory {corpus} does not exist")
    index_dir = config.get_path("index", index_dir)
    procs = _procs_setting(procs)
    try:
        limit = parse_limit(config.get("shrink_limit"))
    except ValueError as error:
        raise click.UsageError(f"GOVSEARCH_SHRINK_LIMIT: {error}") from None
    guard = ShrinkGuard(limit, allowed=allow_shrink)
    try:
        split = planned_shards(index_dir, shards)
    except (ShardsRefused, IndexMissing) as error:
        raise NotRun(str(error)) from None
    progress = ReindexProgress(quiet)
    build = full_build if full else update
    try:
        with progress.bar:
            if split is None:
                summary = build(corpus, index_dir, procs, progress, guard)
            else:
                summary = reindex_shards(corpus, index_dir, split, full, procs, progress, guard)
    except (IndexBusy, CorpusRefused) as error:
        raise NotRun(str(error)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise WriteFailed(
            f"reindex failed: {reason} ({error.filename or index_dir}); "
            f"{index_dir} still serves its last complete build, and the next reindex "
            "starts clean"
        ) from None
    _print_summary(summary, progress.bar)
    if summary.failed:
        sys.exit(EXIT_FAILED_FILES)


def _procs_setting(procs: int | None) -> int:
    """`--procs` as given, else the `procs` setting."""
    if procs is not None:
        return procs
    setting = config.get("procs")
    if not setting.isdigit() or int(setting) < 1:
        raise click.UsageError(f"GOVSEARCH_PROCS must be a whole number >= 1, got {setting!r}")
    return int(setting)


@cli.command()
@index_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@click.option(
    "--cluster",
    is_flag=True,
    help="Compute the vectors on the nodes of a Ray cluster (pip install 'govsearch[cluster]').",
)
@click.option(
    "--address",
    help="With --cluster: the Ray head's HOST:PORT [default: the cluster this machine is in].",
)
@click.option("--node-ip", help="With --cluster: the address this machine advertises to Ray.")
@click.option(
    "--worker-threads",
    type=click.IntRange(1, 64),
    default=None,
    metavar="N",
    help="With --cluster: engine threads of each worker, a node running a worker (and a "
    "copy of the model) for every N of its CPUs [default: 1].",
)
@click.option(
    "--procs",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes computing the vectors, one engine thread each; 1: this process, a "
    f"thread a core [env GOVSEARCH_PROCS; default {config.get('procs')}].",
)
def embed(  # noqa: PLR0913 - one argument per option
    index_dir: Path | None,
    quiet: bool,
    cluster: bool,
    address: str | None,
    node_ip: str | None,
    worker_threads: int | None,
    procs: int | None,
) -> None:
    """Compute the vectors that let questions match by meaning (after a reindex).

    Only sections without a vector cost time: the first run embeds every section, a long
    run for a large collection (bench/embed.py measures the speed); later runs embed only
    new and changed sections. A large run is shared out among --procs processes. Stop it
    at any point and run it again to go on. A reindex may
    run meanwhile: the sections it adds are embedded before this ends. Vectors are kept per
    embedding model; those of another model are computed again, and the old ones removed
    when done. With --cluster the nodes of a running Ray cluster (`govsearch cluster start`,
    or `ray start --head`) compute them, and this process stores them as it would have.
    Exit status 3 when there is no index.
    """
    if not cluster and (address or node_ip or worker_threads):
        raise click.UsageError("--address, --node-ip and --worker-threads go with --cluster")
    if cluster and procs:
        raise click.UsageError("--procs does not go with --cluster: the nodes compute")
    procs = _procs_setting(procs)
    index_dir = config.get_path("index", index_dir)
    try:
        directories = index_directories(index_dir)
    except IndexMissing as error:
        raise NotRun(str(error)) from None
    if not cluster:
        _embed_here(directories, quiet, procs)
        return
    on_cluster = _cluster_embedder(address or "auto", node_ip, worker_threads or 1)
    try:
        _embed_directories(directories, quiet, on_cluster)
    except on_cluster.failures as error:
        raise click.ClickException(
            f"embedding on the cluster stopped: {error}; the vectors computed so far are "
            "kept: run the command again to go on"
        ) from None
    finally:
        on_cluster.close()
    if not quiet and on_cluster.by_node:
        done = sorted(on_cluster.by_node.items())
        workers = Counter(on_cluster.node_of.values())
        nodes = ", ".join(
            f"{node} {_count(count, 'section')} ({_count(workers[node], 'worker')})"
            for node, count in done
        )
        click.echo(f"embedded on {_count(len(done), 'node')}: {nodes}")
    if not quiet and on_cluster.lost:
        lost = "; ".join(f"{node} ({why})" for node, why in on_cluster.lost.items())
        click.echo(f"workers lost during the run (what they held embedded by the others): {lost}")


def _embed_here(directories: list[Path], quiet: bool, procs: int) -> None:
    from search.vectors.processes import EmbeddingStopped, ProcessEmbedder

    with ProcessEmbedder(procs, embed_in_batches) as local:
        try:
            _embed_directories(directories, quiet, local)
        except EmbeddingStopped as error:
            raise click.ClickException(
                f"embedding stopped, {error}; every shard of vectors written before it is "
                "kept: run the command again to go on"
            ) from None


def _embed_directories(directories: list[Path], quiet: bool, embedder: Embedder) -> None:
    for directory in directories:  # a sharded index's shards, one after another
        # The total grows when a later pass finds sections a reindex added.
        with ProgressBar("embedding", quiet=quiet) as bar:
            try:
                summary = embed_index(directory, on_progress=bar.show, embed=embedder)
            except IndexMissing as error:
                raise NotRun(str(error)) from None
        if len(directories) > 1:
            bar.echo(f"{directory.name}:")
        _print_embed_summary(summary, directory, bar)


def _cluster_embedder(address: str, node_ip: str | None, worker_threads: int) -> ClusterEmbedder:
    """A ClusterEmbedder connected to the cluster at `address` (Ray is imported only now)."""
    try:
        from search.cluster.embedding import ClusterEmbedder
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "ray":
            raise
        raise click.UsageError("Ray is not installed: pip install 'govsearch[cluster]'") from None
    try:
        return ClusterEmbedder(address, node_ip, worker_threads)
    except ConnectionError as error:
        raise NotRun(f"no Ray cluster to embed on: {error}") from None


def _print_embed_summary(summary: EmbedSummary, index_dir: Path, bar: ProgressBar) -> None:
    if summary.missing:
        click.echo(
            f"{summary.missing} sections added by a reindex meanwhile have no vector yet: "
            f"run `govsearch embed --index {index_dir}` again",
            err=True,
        )
    meanwhile = f" ({summary.added_meanwhile} added meanwhile)" if summary.added_meanwhile else ""
    # Identical sections (a law's articles repeated across its versions) share one vector,
    # so the vectors counted fall short of the sections without any being missing.
    shared = (
        f" ({summary.distinct} distinct texts, one vector each)"
        if summary.distinct < summary.sections
        else ""
    )
    bar.echo(
        f"{_count(summary.sections, 'section')}{shared}: {summary.embedded} embedded now"
        f"{meanwhile}, {summary.already} already had vectors; model {summary.model}"
    )
    if summary.filed:
        bar.echo(f"{_count(summary.filed, 'earlier shard')} filed under {summary.model}")
    for folder, shards in summary.removed.items():
        bar.echo(f"removed {_count(shards, 'shard')} of another model ({folder})")


def _open(index_dir: Path | None) -> SearchIndex | ShardedIndex:
    try:
        return open_search_index(config.get_path("index", index_dir))
    except IndexMissing as error:
        raise NotRun(str(error)) from None


def facet_options(function: Any) -> Any:
    """An option per facet of search.facets (--agency, --year, --topic), in the table's order."""
    for facet in reversed(FACETS):
        function = click.option(f"--{facet.name}", multiple=facet.repeatable, help=facet.help)(
            function
        )
    return function


def date_range_options(function: Any) -> Any:
    """--from and --to: the range of 发布日期 (search.facets.DATE_RANGE)."""
    pairs = zip(DATE_RANGE.parameters, DATE_RANGE.keywords, DATE_RANGE.helps, strict=True)
    for name, keyword, help_text in reversed(list(pairs)):
        function = click.option(f"--{name}", keyword, metavar="YYYY-MM-DD", help=help_text)(
            function
        )
    return function


def _hit_line_facts(hit: SearchHit) -> list[str]:
    """Agency, 发文字号 (when it has one), date (the year when there is none), kind: what a
    hit's first line says."""
    number = [hit.doc_number] if hit.doc_number else []
    return [hit.agency or "-", *number, hit.date or str(hit.year or "-"), hit.kind or "-"]


@cli.command()
@click.argument("query")
@facet_options
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    help="[default: relevance; date, newest first, for an empty QUERY]",
)
@date_range_options
@click.option("--scope", type=click.Choice(SCOPE.values), default=SCOPE.default, help=SCOPE.help)
@click.option("--sections", is_flag=True, help="List every matching section, not one per document.")
@click.option("--doc", "doc_id", help="Only the sections of this document (its id).")
@click.option("--page", type=click.IntRange(1, MAX_PAGE), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(1, MAX_SIZE), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON document.")
@index_option
def search(  # noqa: PLR0913 - one argument per option
    query: str,
    sort: str | None,
    sections: bool,
    doc_id: str | None,
    page: int,
    limit: int,
    as_json: bool,
    index_dir: Path | None,
    scope: str,
    **facets: Any,
) -> None:
    """Search the index and print the best sections (one per document unless --sections).

    QUERY: words (all must match), "exact phrase", -excluded, A OR B, 标题:word (title only),
    a document number (阳政发〔2021〕3号), an article of a law (民法典第509条). An empty QUERY
    lists everything the filters allow.
    """
    try:
        asked = SearchRequest.create(
            query,
            sort=sort,
            page=page,
            size=limit,
            collapse=not sections,
            doc_id=doc_id,
            scope=scope,
            **facets,
        )
    except QueryError as error:
        raise click.BadParameter(error.reason, param_hint=_option_of(error.parameter)) from None
    with _open(index_dir) as index:
        started = time.perf_counter()
        read_tables(index)  # once a process, as a server does before its first search
        read_ms = (time.perf_counter() - started) * 1000
        results = run_search(index, asked)
    if as_json:
        click.echo(json.dumps(results.to_json(), ensure_ascii=False, indent=1))
        return
    found = _count(results.total_sections, "section")
    if asked.collapse:
        found = f"{_count(results.total, 'document')}, {found}"
    click.echo(f"{found} ({results.took_ms:.0f} ms; reading the index {read_ms:.0f} ms)")
    if results.relaxed and results.total_sections:
        click.echo(
            f"{_count(results.full_matches, 'section')} matched every word; "
            "the rest are ranked by the words they contain."
        )
    if results.pinyin:
        typed, searched = results.pinyin.typed, results.pinyin.searched
        click.echo(f'Searched {searched}, which {typed} spells in pinyin ("{typed}": as typed).')
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    if not results.hits and results.total_hits and asked.page > results.last_page:
        click.echo(f"Page {asked.page} lists nothing: the last is {results.last_page}.")
    first = (asked.page - 1) * asked.size
    for rank, hit in enumerate(results.hits, start=first + 1):
        where = " › ".join(hit.breadcrumb) or "(preamble)"
        click.echo(f"\n{rank}. {hit.title} · {' · '.join(_hit_line_facts(hit))}")
        more = f"   (+{hit.more_sections} more: --doc {hit.doc_id})" if hit.more_sections else ""
        click.echo(f"   {where}   [{hit.id}]{more}")
        for passage in hit.passages[:1]:
            click.echo("   " + terminal_passage(passage, colour=sys.stdout.isatty()))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def terminal_passage(passage: Passage, colour: bool) -> str:
    """The passage on one line, its matches in bold yellow with `colour` (a terminal), else
    between 【】 (a file or a pipe)."""
    before, after = ("\x1b[1;33m", "\x1b[0m") if colour else ("【", "】")
    return "".join(before + text + after if matched else text for text, matched in passage.pieces())


# The years' figures for programs (--json) and the pages, which `years` gives people.
YEARS_APART = frozenset({"first_year", "last_year", "distinct_years"})


@cli.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(index_dir: Path | None, as_json: bool) -> None:
    """Documents, sections, agencies, years, topics, size and build time of the index."""
    with _open(index_dir) as index:
        figures = index_stats(index)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=1))
        return
    shards = figures.pop("shards", [])
    for key, value in figures.items():
        if key not in YEARS_APART:  # `years` says them in one line
            click.echo(f"{key:>14}: {value}")
    for number, shard in enumerate(shards):
        click.echo(
            f"\n{'shard':>14}: {number} ({shard['location']})\n"
            f"{'documents':>14}: {shard['documents']}\n"
            f"{'sections':>14}: {shard['sections']}\n"
            f"{'vectors':>14}: {shard['vectors']}\n"
            f"{'index_size_mb':>14}: {shard['index_size_mb']}\n"
            f"{'updated_at':>14}: {shard['updated_at']}"
        )


@cli.command()
@click.argument("text")
@click.option(
    "--limit", type=click.IntRange(1, MAX_LIMIT), default=DEFAULT_LIMIT, show_default=True
)
@index_option
def suggest(text: str, limit: int, index_dir: Path | None) -> None:
    """Print what the search box offers for TEXT: its first characters, or their pinyin
    (`yingshang`, `ying shang`) or initials (`yshj`). One completion a line: text, kind
    (title or term), count."""
    with _open(index_dir) as index:
        completions = complete(index, text, limit)
    for completion in completions:
        click.echo(f"{completion.text}\t{completion.kind}\t{completion.count}")


@cli.command()
@click.option("--top", "limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option(
    "--zero-hits",
    is_flag=True,
    help="Only queries that never found a section with all their words.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="From this day (UTC, YYYY-MM-DD) on [default: all the log keeps].",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Query log file [env GOVSEARCH_QUERY_LOG; default querylog.sqlite3 beside the index].",
)
@index_option
def queries(  # noqa: PLR0913 - one argument per option
    limit: int,
    zero_hits: bool,
    since: datetime | None,
    as_json: bool,
    log_file: Path | None,
    index_dir: Path | None,
) -> None:
    """What people search for, most asked first, from the query log of the pages, the API
    and the widget; with --zero-hits, what they searched for and never found (words for
    the dictionary and the synonyms)."""
    path = querylog.configured_path(config.get_path("index", index_dir), log_file)
    if path is None:
        raise NotRun("the query log is off (GOVSEARCH_QUERY_LOG=off): no searches are kept")
    if not path.is_file():
        raise NotRun(f"no query log at {path} yet: the server writes it as people search")
    start = since.replace(tzinfo=UTC) if since else None
    try:
        found = querylog.QueryLog(path).top(limit, start, zero_hits)
    except sqlite3.Error as error:
        raise NotRun(f"the query log {path} cannot be read: {error}") from None
    if as_json:
        click.echo(json.dumps([q.to_json() for q in found], ensure_ascii=False, indent=1))
        return
    click.echo(f"{'searches':>8}  {'no hits':>7}  {'last asked':<20}  query")
    for query in found:
        click.echo(f"{query.count:>8}  {query.zero_hits:>7}  {query.last_asked:<20}  {query.text}")


def main() -> None:
    try:
        cli(standalone_mode=True)
    except SearchError as error:  # pragma: no cover - safety net for library errors
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)


# The API's parameters that the command takes under another name.
_OPTION_NAMES = {"q": "QUERY", "size": "--limit", "doc": "--doc", "collapse": "--sections"}


def _option_of(parameter: str) -> str:
    """How the command names the API parameter a QueryError names."""
    return _OPTION_NAMES.get(parameter, f"--{parameter.replace('_', '-')}")


if __name__ == "__main__":
    main()
