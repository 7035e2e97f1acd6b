"""The build benchmark's memory and CPU figures count every process of the build."""

from __future__ import annotations

import os
import sys

from bench.process_tree import process_tree, run_sampled

# Starts two workers that each hold 80 MB, and keeps both alive together for a while.
# Last it prints what getrusage says of its children: the largest one. (Its own ru_maxrss
# is no use here: it keeps the memory of the process that started it, from before exec.)
TWO_WORKERS = r"""
import resource, subprocess, sys, time
worker = "b = b'x' * (80 * 2**20); print('ready', flush=True); sys.stdin.read()"
workers = [subprocess.Popen([sys.executable, "-c", "import sys; " + worker],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(2)]
for w in workers:
    w.stdout.readline()
time.sleep(0.6)
for w in workers:
    w.stdin.close()
    w.wait()
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def test_peak_is_the_sum_of_processes_alive_together() -> None:
    finished = run_sampled([sys.executable, "-c", TWO_WORKERS], interval=0.05)
    assert finished.returncode == 0, finished.stderr
    memory = finished.memory
    largest_by_getrusage_kb = int(finished.stdout.split()[-1])
    assert memory.processes == 3
    assert memory.rss_kb >= 2 * 80 * 1024
    # getrusage sees one worker's 80 MB, never both
    assert largest_by_getrusage_kb < 1.5 * 80 * 1024 < memory.rss_kb
    assert memory.largest_kb < memory.rss_kb


def test_process_tree_holds_the_root_and_its_descendants_only() -> None:
    here = os.getpid()
    assert process_tree(here)[0] == here
    assert os.getppid() not in process_tree(here)
    assert os.getppid() in process_tree(os.getppid())


def test_cpu_time_includes_the_workers() -> None:
    busy = "import time; end = time.process_time() + 0.4\nwhile time.process_time() < end: pass"
    parent = (
        "import subprocess, sys\n"
        f"workers = [subprocess.Popen([sys.executable, '-c', {busy!r}]) for _ in range(2)]\n"
        "for w in workers: w.wait()"
    )
    finished = run_sampled([sys.executable, "-c", parent], interval=0.05)
    assert finished.returncode == 0, finished.stderr
    assert finished.cpu_seconds >= 0.8
