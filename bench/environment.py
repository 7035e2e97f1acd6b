"""What decides a benchmark's figures besides the code: the processor, Python, numpy and the
BLAS it runs, the settings that change how their threads behave, the machine's load, and how
much of the index was in the page cache when the run began.

    python bench/environment.py [--index DIR]

bench/query.py prints the same lines before its figures, so that two runs on two machines
can be told apart by what they ran on, not guessed at.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

# Instruction sets that the numpy kernels and the embedding engine choose between.
TELLING_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile")
# Settings read by numpy's BLAS and the embedding model's threads when they load.
THREAD_SETTINGS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "MKL_NUM_THREADS",
)


def processor() -> str:
    """Model, logical cores and the telling instruction-set flags, from /proc/cpuinfo."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", info, re.M)
    present = set(flags.group(1).split()) if flags else set()
    telling = " ".join(flag for flag in TELLING_FLAGS if flag in present) or "none listed"
    name = model.group(1).strip() if model else platform.machine()
    return f"{name}, {os.cpu_count()} cores, flags: {telling}"


def blas() -> str:
    """Each BLAS library numpy loaded: its name, version, kernel and threads."""
    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    if not pools:
        return "none found"
    return "; ".join(
        f"{pool.get('internal_api')} {pool.get('version')} "
        f"({pool.get('architecture') or 'kernel unknown'}, {pool.get('num_threads')} threads)"
        for pool in pools
    )


def page_cache(folder: Path) -> str:
    """How much of the files under `folder` is in the page cache (util-linux's fincore)."""
    files = [str(path) for path in sorted(folder.rglob("*")) if path.is_file()]
    if not files:
        return f"no files in {folder}"
    if shutil.which("fincore") is None:
        return "unknown (no fincore)"
    shown = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    resident = size = 0
    for line in shown.stdout.splitlines():
        fields = line.split()
        if len(fields) == 2 and all(field.isdigit() for field in fields):
            resident += int(fields[0])
            size += int(fields[1])
    if not size:
        return "unknown (fincore read nothing)"
    return f"{resident / 2**20:.0f} of {size / 2**20:.0f} MB ({resident / size:.0%})"


def read_into_page_cache(folder: Path) -> None:
    """Read every file under `folder` once, so that it starts in the page cache as the index
    of a server that has been answering for a while does."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as opened:
                while opened.read(1 << 22):
                    pass


# The columns of /proc/stat's "cpu" line, in order.
CPU_STATES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def cpu_ticks() -> dict[str, int]:
    """The machine's CPU time so far, by state, in clock ticks (empty where unknown)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return {}
    return dict(zip(CPU_STATES, (int(field) for field in fields), strict=False))


def machine_use(before: dict[str, int], after: dict[str, int]) -> str:
    """How the machine's cores spent the time between two `cpu_ticks`: busy (with anyone's
    work), idle, waiting for the disk, and stolen by the hypervisor for other machines."""
    spent = {state: after.get(state, 0) - before.get(state, 0) for state in CPU_STATES}
    total = sum(spent.values())
    if not total:
        return "unknown"
    busy = total - spent["idle"] - spent["iowait"] - spent["steal"]
    shares = (busy, spent["idle"], spent["iowait"], spent["steal"])
    return "busy {:.0%}, idle {:.0%}, waiting for the disk {:.0%}, stolen {:.0%}".format(
        *(share / total for share in shares)
    )


def describe(index_dir: Path | None = None) -> list[str]:
    """The environment, a line each."""
    found = [name for name in THREAD_SETTINGS if name in os.environ]
    settings = ", ".join(f"{name}={os.environ[name]}" for name in found)
    lines = [
        f"processor: {processor()}",
        f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"numpy: {np.__version__}; BLAS: {blas()}",
        f"thread settings: {settings or 'none set'}",
        "load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    ]
    if index_dir is not None:
        lines.append(f"index in the page cache: {page_cache(Path(index_dir))}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    args = parser.parse_args()
    print("\n".join(describe(args.index)))


if __name__ == "__main__":
    main()
