"""Peak memory and CPU time of a command together with every process it starts.

A build that runs worker processes needs, at its worst moment, the memory of all of them
at once. `getrusage`'s `ru_maxrss` cannot say that: for children it gives the largest
single one, never a sum. So the command's process tree is sampled from /proc at a short
interval and each sample's resident memory (RSS) summed. A page a forked worker still
shares with its parent counts in both, so the sum errs high, never low.

CPU time is what the kernel accounts to the command and the descendants it waited for:
on a machine that others share, it moves much less than the time on the clock.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class TreeMemory:
    """Peaks over the samples, in kB; `processes` is the most seen alive at once."""

    rss_kb: int = 0
    largest_kb: int = 0  # the largest single process: what ru_maxrss would report
    processes: int = 0
    samples: int = 0

    def add_sample(self, rss_kb: list[int]) -> None:
        """One sample: the RSS of each process alive in the tree."""
        self.samples += 1
        self.rss_kb = max(self.rss_kb, sum(rss_kb))
        self.largest_kb = max([self.largest_kb, *rss_kb])
        self.processes = max(self.processes, len(rss_kb))


def process_tree(root: int) -> list[int]:
    """`root` and every live process descended from it."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read()
        except OSError:  # it ended between the listing and the read
            continue
        # The command name may hold spaces and parentheses: the fields after it are fixed.
        parent = int(fields.rsplit(b")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def resident_kb(pid: int) -> int | None:
    """RSS of one process in kB, None when it has ended."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return None


def sample_tree(memory: TreeMemory, root: int) -> None:
    """Add one sample of the tree under `root` (`root` included) to `memory`."""
    memory.add_sample([kb for kb in map(resident_kb, process_tree(root)) if kb is not None])


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float  # user + system, the whole tree
    memory: TreeMemory


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_sampled(argv: list[str], cwd: Path | None = None, interval: float = 0.1) -> Finished:
    """Run `argv` to its end, sampling its process tree's memory every `interval` seconds.

    Runs one command at a time: its CPU time is read as the growth of this process's
    children's total.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # Files, not pipes: a child writing more than a pipe holds would wait on us forever.
        cpu_before = _children_cpu()
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd)
        memory = TreeMemory()
        while child.poll() is None:
            sample_tree(memory, child.pid)
            time.sleep(interval)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Finished(
            child.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            _children_cpu() - cpu_before,
            memory,
        )
