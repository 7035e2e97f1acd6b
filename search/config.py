"""Settings, declared once as (name, default, help); read from env, overridden by flags."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Word lists, dictionaries and rules shipped with the engine.
DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return "GOVSEARCH_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("index", "index", "Directory holding the search index."),
    Setting("corpus", "corpus", "Directory of documents (.txt, .html) that `reindex` reads."),
    Setting(
        "procs",
        "2",
        "Processes used to segment and index on a full build, and to compute vectors in "
        "`embed` (1 disables parallelism).",
    ),
    Setting(
        "shrink_limit",
        "20%",
        "Largest share of the indexed documents one reindex may remove (files gone from the "
        "corpus, or unreadable on a full build) without `--allow-shrink`.",
    ),
    Setting(
        "stopwords",
        "",
        "File of stop words, one per line, replacing the built-in list (needs a full reindex).",
    ),
    Setting(
        "cors_origins",
        "",
        "Origins (comma-separated, e.g. https://www.example.gov.cn) whose pages may call the "
        "JSON API and embed the widget; none by default.",
    ),
    Setting(
        "result_cache",
        "256",
        "Recent searches each server worker keeps answered in memory (0 turns the cache off).",
    ),
    Setting(
        "rate_limit",
        "",
        "Requests each client address may make to the pages and the API, e.g. 120/minute; "
        "off when empty. Counted per server worker.",
    ),
    Setting(
        "proxy_hops",
        "0",
        "Reverse proxies in front of the server whose X-Forwarded-For/-Proto/-Host headers "
        "are trusted (client addresses for rate limits, absolute links); 0 trusts none.",
    ),
    Setting(
        "semantic",
        "on",
        "Re-rank questions by meaning as well as words, where `govsearch embed` has computed "
        "the sections' vectors; off ranks by words only.",
    ),
    Setting(
        "cache_dir",
        "",
        "Private cache directory (jieba's dictionary cache); default $XDG_CACHE_HOME/govsearch.",
    ),
    Setting(
        "query_log",
        "",
        "SQLite file where searches are logged (query text, filters, hit count, time; no "
        "addresses or cookies); default querylog.sqlite3 beside the index directory, `off` "
        "keeps no log.",
    ),
    Setting("query_log_days", "180", "Days the query log keeps a search before deleting it."),
    Setting(
        "hot_min_count",
        "3",
        "Times a query must have found something within the period before others see it "
        "among hot, related and completed searches, so that what one person typed once (a "
        "name, a case number) is never shown to the next; `1` shows every query.",
    ),
    Setting(
        "query_blocklist",
        "",
        "File of queries and words (one a line, `#` comments) never shown as hot or related "
        "searches; none by default.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str, override: str | os.PathLike[str] | None = None) -> str:
    """The value of setting `name`: the override if given, else its env variable, else default."""
    setting = _BY_NAME[name]
    if override is not None:
        return str(override)
    return os.environ.get(setting.env, setting.default)


def get_path(name: str, override: str | os.PathLike[str] | None = None) -> Path:
    return Path(get(name, override))


def cache_dir() -> Path:
    """A per-user cache directory that only this user can write (created on first use)."""
    configured = get("cache_dir")
    if configured:
        path = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "govsearch"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
