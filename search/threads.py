"""Threads that work beside a search: one per process and job, made on first use in the
process that uses it (a pool's threads do not survive a server's fork into workers)."""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor


def helper_thread(job: str) -> ThreadPoolExecutor:
    """The one thread of this process that does `job`; it sleeps while idle."""
    return _pool(job, os.getpid())


@functools.cache
def _pool(job: str, process: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"govsearch-{job}")
