"""The query log: what people search for, kept in an embedded SQLite database, and what it
tells (hot searches, related searches, the queries that find nothing).

Each search is one row: its normalised text, its filters (the canonical URL parameters, as
JSON), its hit count and how many sections matched every word, when it was asked (UTC, to
the second) and how long it took. A search "found something" when a section matched every
word: one answered only by sections with some of its words found nothing it asked for. Nothing
about who asked is kept: no addresses, cookies, user agents or sessions. Rows older than the
retention are deleted when the log opens and every few minutes after.

A search never waits for the log nor fails because of it: `record` puts the row on a
bounded queue that a background thread writes in batches; a full queue, a locked or
read-only database drop rows (counted in `dropped`), and the first error is logged once.
Imports only `search.config` and `search.text`.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import sqlite3
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from search import config
from search.text.analysis import CJK, query_stopwords, word_tokens
from search.text.normalize import DOC_NUMBER, normalize, normalize_doc_number

logger = logging.getLogger(__name__)

FILE_NAME = "querylog.sqlite3"
OFF = "off"
HOT_DAYS = 30
MAX_DAYS = 3650
QUEUE_SIZE = 10_000
BATCH = 500
# Hot and related searches are read from a list of this many popular queries, refreshed
# at most this often: the pages cost a dictionary lookup, not a query of the database.
CANDIDATES = 1000
# Longer queries are passages pasted from documents, not words others would search for.
HOT_MAX_CHARS = 30
REFRESH_SECONDS = 60.0
FIRST_READ_WAIT = 0.25
EXPIRE_SECONDS = 600.0
# Reads happen while a person waits: a locked database gives up quickly.
READ_TIMEOUT = 0.1
WRITE_TIMEOUT = 2.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    asked_at TEXT NOT NULL,   -- UTC, YYYY-MM-DDTHH:MM:SSZ
    query TEXT NOT NULL,      -- normalised text
    filters TEXT NOT NULL,    -- canonical URL parameters but q, as a JSON object
    hits INTEGER NOT NULL,    -- documents found (sections when not collapsed)
    full_matches INTEGER NOT NULL,  -- sections that matched every word
    took_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_by_time ON searches (asked_at);
"""
INSERT = (
    "INSERT INTO searches (asked_at, query, filters, hits, full_matches, took_ms) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


# The query language's quoted runs (search.query.language), whole, as `re.split` keeps them.
_QUOTED = re.compile(r'("[^"]*"?|“[^”]*”?|「[^」]*」?)')


def normalize_query(text: str) -> str:
    """The text a query is counted under: width, case and script folded, spaces collapsed,
    a document number in one spelling (阳政发[2021]3号 is 阳政发〔2021〕3号); the query
    language's OR kept in capitals (folded, it would be a word to find). Control and
    format characters (a terminal's colour codes, a bell) are spaces: the text is shown
    to editors in a terminal and to readers as a hot search."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
    words = [
        "OR" if unicodedata.normalize("NFKC", word) == "OR" else normalize(word)
        for word in text.split()
    ]
    folded = " ".join(" ".join(words).split())
    # Quoted text is searched as typed, brackets and all: kept as it is.
    return "".join(
        part if _QUOTED.fullmatch(part) else DOC_NUMBER.sub(_one_spelling, part)
        for part in _QUOTED.split(folded)
    )


# Folding made the marks of a query ASCII; shown to readers (hot, related and completed
# searches), a mark beside a Chinese character is full-width again, as it was typed.
_FULL_WIDTH = str.maketrans(",?!:;()", "，？！：；（）")
_MARK_BY_CHINESE = re.compile(rf"(?<=[{CJK}])[,?!:;()]|[,?!:;()](?=[{CJK}])")


def shown_query(text: str) -> str:
    """A logged query as readers are shown it: 房东把房子卖了，我还能继续住吗？ for the
    房东把房子卖了,我还能继续住吗? it is counted under."""
    return _MARK_BY_CHINESE.sub(lambda mark: mark.group().translate(_FULL_WIDTH), text)


def _one_spelling(number: re.Match[str]) -> str:
    return normalize_doc_number(number.group())


def query_words(text: str) -> frozenset[str]:
    """The words of a query that may relate it to another (segmented as the index does; stop
    words and single characters left out, too common to relate two queries)."""
    tokens = word_tokens(normalize_query(text), index_mode=False, stopwords=query_stopwords())
    return frozenset(word for word, *_ in tokens if len(word) > 1)


def log_path(setting: str, index_dir: str | os.PathLike[str]) -> Path | None:
    """Where the log is kept: None when the setting is `off`; by default beside the index
    directory (in its parent), never inside it, where builds are swapped and removed."""
    value = setting.strip()
    if value.lower() == OFF:
        return None
    if value:
        return Path(value)
    return Path(index_dir).absolute().parent / FILE_NAME


def configured_path(
    index_dir: str | os.PathLike[str], override: str | os.PathLike[str] | None = None
) -> Path | None:
    """The log's path from the `query_log` setting (or `override`), for this index."""
    return log_path(config.get("query_log", override), index_dir)


def retention_days(value: str | int | None = None) -> int:
    """Days of searches kept, from `value` or the `query_log_days` setting (>= 1)."""
    raw = config.get("query_log_days", None if value is None else str(value))
    if not str(raw).strip().isdigit() or int(raw) < 1:
        raise ValueError(f"GOVSEARCH_QUERY_LOG_DAYS must be a whole number >= 1, got {raw!r}")
    return int(raw)


def least_asked(value: str | int | None = None) -> int:
    """Times a query must have found something before others see it, from `value` or the
    `hot_min_count` setting (>= 1)."""
    raw = config.get("hot_min_count", None if value is None else str(value))
    if not str(raw).strip().isdigit() or int(raw) < 1:
        raise ValueError(f"GOVSEARCH_HOT_MIN_COUNT must be a whole number >= 1, got {raw!r}")
    return int(raw)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> datetime:
    return datetime.now(UTC)


class Blocklist:
    """An editor's list of queries and words that hot and related searches never show.

    One entry a line, `#` comments. A query is blocked when its normalised text contains an
    entry (an entry that is a whole query blocks it, a word blocks every query with it):
    containment in characters, not words, so a segmentation that cuts a word differently
    cannot let it through. The file is read again when it changes.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self.entries: tuple[str, ...] = ()

    def refresh(self) -> None:
        if self.path is None:
            return
        try:
            stat = self.path.stat()
            if self._stamp == (stat.st_mtime, stat.st_size):
                return
            lines = self.path.read_text("utf-8").splitlines()
        except OSError as error:
            if self.entries or self._stamp is None:
                logger.warning("query block list %s unreadable: %s", self.path, error)
            self.entries, self._stamp = (), (0.0, -1)
            return
        entries = (normalize_query(line.split("#", 1)[0]) for line in lines)
        self.entries = tuple(sorted({entry for entry in entries if entry}))
        self._stamp = (stat.st_mtime, stat.st_size)

    def blocks(self, text: str) -> bool:
        return any(entry in text for entry in self.entries)


@dataclass(frozen=True)
class QueryCount:
    """One query text over a period: searches, those that found nothing, the last one."""

    text: str
    count: int
    zero_hits: int
    last_asked: str

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "count": self.count,
            "zero_hits": self.zero_hits,
            "last_asked": self.last_asked,
        }


def word_index(popular: list[tuple[str, int]]) -> dict[str, list[tuple[str, int]]]:
    """Each word of the popular queries -> the (query, count) pairs that have it."""
    by_word: dict[str, list[tuple[str, int]]] = {}
    for text, count in popular:
        for word in query_words(text):
            by_word.setdefault(word, []).append((text, count))
    return by_word


_STOP = object()


class QueryLog:
    """The log at `path`: `record` from the searches, the rest for reading it.

    The writer thread and its connection belong to the process that records: a server
    worker forked after the log was made starts its own on its first search.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        retention: int = 180,
        blocklist: Path | None = None,
        queue_size: int = QUEUE_SIZE,
        least_asked: int = 1,
    ) -> None:
        self.path = Path(path)
        self.retention = retention
        self.blocklist = Blocklist(blocklist)
        self.least_asked = least_asked  # of hot, related and completed searches
        self.queue_size = queue_size
        self.dropped = 0  # rows lost: queue full, or the database could not be written
        self.written = 0
        self._lock = threading.Lock()
        self._pid = 0
        self._queue: queue.Queue[object] = queue.Queue(queue_size)
        self._writer: threading.Thread | None = None
        self._warned = False
        self._popular: dict[int, tuple[float, list[tuple[str, int]]]] = {}
        self._by_word: dict[str, list[tuple[str, int]]] = {}  # related searches' index
        self._refreshing: dict[int, threading.Thread] = {}

    # Writing

    def record(
        self,
        query: str,
        filters: Mapping[str, Sequence[str]] | None,
        hits: int,
        took_ms: float,
        asked_at: datetime | None = None,
        full_matches: int | None = None,
    ) -> None:
        """Queue one search for writing; never blocks, never raises.

        `full_matches` (default: `hits`) counts the sections that matched every word: a
        search whose hits only have some of its words (relaxed) found nothing it asked for,
        and is counted as such by hot and related searches and by `top(zero_hits=True)`.
        """
        try:
            text = normalize_query(query)
            if not any(character.isalnum() for character in text):
                return  # no word to look for (marks, symbols, an emoji): not a search
            row = (
                utc_stamp(asked_at or _now()),
                text,
                json.dumps(dict(filters or {}), ensure_ascii=False, sort_keys=True),
                int(hits),
                int(hits if full_matches is None else full_matches),
                round(float(took_ms), 2),
            )
            self._ensure_writer()
            self._queue.put_nowait(row)
        except queue.Full:
            self.dropped += 1
        except Exception as error:  # a search must not fail because of its log
            self.dropped += 1
            self._warn(error)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued row is written or dropped; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued and stop the writer thread."""
        with self._lock:
            writer = self._writer if self._pid == os.getpid() else None
            self._writer = None
        if writer is not None:
            with suppress(queue.Full):
                self._queue.put(_STOP, timeout=timeout)
            writer.join(timeout)

    def _ensure_writer(self) -> None:
        if self._writer is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._writer is not None and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._queue = queue.Queue(self.queue_size)  # a parent's queue is not ours
            self._writer = threading.Thread(
                target=self._write_forever, name="querylog-writer", daemon=True
            )
            self._writer.start()

    def _write_forever(self) -> None:
        connection: sqlite3.Connection | None = None
        # None: expire on opening. The monotonic clock counts from the machine's boot, so a
        # zero here would skip the first expiry on a machine up for less than EXPIRE_SECONDS.
        expired_at: float | None = None
        while True:
            batch = self._next_batch()
            rows = [row for row in batch if isinstance(row, tuple)]
            try:
                if connection is None:
                    connection = self._open_for_writing()
                if expired_at is None or time.monotonic() - expired_at > EXPIRE_SECONDS:
                    self.expire(connection)
                    expired_at = time.monotonic()
                if rows:
                    with connection:
                        connection.executemany(INSERT, rows)
                    self.written += len(rows)
            except (sqlite3.Error, OSError) as error:
                self.dropped += len(rows)
                self._warn(error)
                if connection is not None:
                    connection.close()
                connection = None
            finally:
                for _ in batch:
                    self._queue.task_done()
            if len(rows) < len(batch):
                break
        if connection is not None:
            connection.close()

    def _next_batch(self) -> list[object]:
        batch = [self._queue.get()]
        while len(batch) < BATCH and batch[-1] is not _STOP:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _open_for_writing(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=WRITE_TIMEOUT)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL: safe against crashes
            connection.executescript(SCHEMA)
        except sqlite3.Error:
            connection.close()
            raise
        return connection

    def expire(self, connection: sqlite3.Connection) -> int:
        """Delete the rows older than the retention; the number deleted."""
        cutoff = utc_stamp(_now() - timedelta(days=self.retention))
        with connection:
            return connection.execute("DELETE FROM searches WHERE asked_at < ?", (cutoff,)).rowcount

    def _warn(self, error: BaseException, doing: str = "written") -> None:
        if not self._warned:
            self._warned = True
            logger.warning("query log %s not %s (searches go on): %s", self.path, doing, error)

    # Reading

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        """A connection for reading, or None when there is no log yet: no file, or a file
        the writer has just created and not yet given its table."""
        if not self.path.is_file():
            yield None
            return
        with closing(sqlite3.connect(self.path, timeout=READ_TIMEOUT)) as connection:
            created = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'searches'"
            ).fetchone()
            yield connection if created else None

    def popular(self, days: int = HOT_DAYS, limit: int = 10) -> list[tuple[str, int]]:
        """The most asked queries of the last `days` days that found something, with how
        many of their searches did, most asked first; none the block list blocks, and none
        that found something fewer than `least_asked` times.

        Reads the database (raises sqlite3.Error when it cannot): a caller on every request
        (suggestions as one types) takes `hot(limit, days)`, the same list from the cache,
        up to CANDIDATES queries, never raising.
        """
        self.blocklist.refresh()
        since = utc_stamp(_now() - timedelta(days=days))
        found: list[tuple[str, int]] = []
        with self._reading() as connection:
            if connection is None:
                return found
            rows = connection.execute(
                "SELECT query, COUNT(*) AS n FROM searches "
                "WHERE asked_at >= ? AND full_matches > 0 AND length(query) <= ? "
                "GROUP BY query HAVING n >= ? ORDER BY n DESC, query",
                (since, HOT_MAX_CHARS, self.least_asked),
            )
            for text, count in rows:
                if not self.blocklist.blocks(text):
                    found.append((shown_query(text), count))
                    if len(found) >= limit:
                        break
        return found

    def hot(self, limit: int = 10, days: int = HOT_DAYS) -> list[tuple[str, int]]:
        """`popular`, kept for REFRESH_SECONDS; empty when the log cannot be read."""
        return self._cached_popular(days)[:limit]

    def related(self, query: str, limit: int = 5) -> list[tuple[str, int]]:
        """Popular queries (last HOT_DAYS days, with hits) sharing a word with `query`, not
        `query` itself: most shared words first, then the most asked."""
        text = normalize_query(query)
        words = query_words(text)
        if not words:
            return []
        self._cached_popular(HOT_DAYS)  # reads the list and its words again when stale
        by_word = self._by_word
        shared: Counter[tuple[str, int]] = Counter()
        for word in words:
            shared.update(by_word.get(word, ()))
        ranked = sorted(
            (-n, -count, other)
            for (other, count), n in shared.items()
            if normalize_query(other) != text
        )
        return [(other, -count) for _, count, other in ranked[:limit]]

    def _cached_popular(self, days: int) -> list[tuple[str, int]]:
        """The popular list for `days`: the kept one while fresh; when stale, the stale one
        while a background thread reads the new one (a large log takes a second or more),
        so that no search waits for it. A process's first ask waits a little for it, once."""
        kept = self._popular.get(days)
        if kept is not None and time.monotonic() - kept[0] < REFRESH_SECONDS:
            return kept[1]
        refresh = self._start_refresh(days)
        if kept is None:
            refresh.join(FIRST_READ_WAIT)
            # Still reading: an empty list until it is read, so that only one search waits.
            kept = self._popular.setdefault(days, (time.monotonic(), []))
        return kept[1]

    def _start_refresh(self, days: int) -> threading.Thread:
        with self._lock:
            running = self._refreshing.get(days)
            if running is not None and running.is_alive():
                return running
            thread = threading.Thread(
                target=self._refresh, args=(days,), name="querylog-refresh", daemon=True
            )
            self._refreshing[days] = thread
            thread.start()
            return thread

    def _refresh(self, days: int) -> None:
        kept = self._popular.get(days)
        try:
            fresh = self.popular(days, CANDIDATES)
        except (sqlite3.Error, OSError) as error:
            self._warn(error, doing="read")
            fresh = kept[1] if kept else []
        if days == HOT_DAYS:
            self._by_word = word_index(fresh)
        # Kept even when the read failed, so a broken log is not read again for each search.
        self._popular[days] = (time.monotonic(), fresh)

    def top(
        self, limit: int = 50, since: datetime | None = None, zero_hits: bool = False
    ) -> list[QueryCount]:
        """The most asked queries since `since` (all kept when None); with `zero_hits`, only
        those that never found anything over the period (what the dictionary and the
        synonyms lack). Raises sqlite3.Error when the database cannot be read."""
        start = utc_stamp(since) if since else ""
        having = "HAVING MAX(full_matches) = 0 " if zero_hits else ""
        with self._reading() as connection:
            if connection is None:
                return []
            rows = connection.execute(
                "SELECT query, COUNT(*) AS n, SUM(full_matches = 0), MAX(asked_at) FROM searches "
                f"WHERE asked_at >= ? GROUP BY query {having}ORDER BY n DESC, query LIMIT ?",
                (start, limit),
            ).fetchall()
        return [QueryCount(*row) for row in rows]
