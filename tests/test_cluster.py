"""`govsearch cluster` on a real two-node Ray cluster (tests/cluster_on_loopback.py: the
sample corpus in 2 and 3 shards answering as one index, a replica killed under load, a shard
without replicas, `embed --cluster`, a clean stop), and one machine that never imports Ray.

Ray's nodes listen on every interface whatever address they advertise, so the cluster
runs in a network namespace of its own whose only interface is loopback (`unshare`), and
nothing it starts can be reached from, or reach, another machine.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = Path(__file__).with_name("cluster_on_loopback.py")
GOVSEARCH = str(Path(sys.executable).with_name("govsearch"))


def _missing(reason: str) -> None:
    """In CI (`make test` installs Ray) a missing part fails the suite instead of skipping."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_the_cluster_runs_in_a_network_of_loopback_alone(tmp_path: Path) -> None:
    if importlib.util.find_spec("ray") is None:
        _missing("Ray is not installed: pip install -e '.[cluster]'")
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        _missing("needs unshare and ip (util-linux, iproute2)")
    unshare = ["unshare", "-n"] if os.getuid() == 0 else ["unshare", "-rn"]
    inner = 'ip link set lo up && exec "$0" -m pytest -q -p no:cacheprovider "$1" --basetemp "$2"'
    command = [*unshare, "sh", "-c", inner, sys.executable, str(CHECKS), str(tmp_path / "inner")]
    # A token in ~/.ray turns token authentication on for `ray start --head` but not for a
    # driver given the head's address: the cluster must still start and answer.
    home = tmp_path / "home"
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text("a" * 64)
    environment = {k: v for k, v in os.environ.items() if k != "RAY_AUTH_MODE"} | {
        "GOVSEARCH_LOOPBACK_ONLY": "1",
        "RAY_USAGE_STATS_ENABLED": "0",
        "HOME": str(home),
    }
    done = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900
    )
    print(done.stdout[-4000:])
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in .*", summary), summary  # none skipped in there


def test_one_machine_never_imports_ray(sample_index: Path) -> None:
    search = (
        "import sys; from search.cli import cli; from web import create_app; import web.server; "
        f"app = create_app({{'INDEX_DIR': {str(sample_index)!r}, 'QUERY_LOG': 'off'}}); "
        "assert app.test_client().get('/api/search?q=yshj').status_code == 200; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ray', 'search.cluster')))"
    )
    done = subprocess.run([sys.executable, "-c", search], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_embed_on_a_cluster_without_ray_says_what_to_install(sample_index: Path) -> None:
    # None in sys.modules: `import ray` fails as it does where Ray is not installed.
    embed = (
        "import sys; sys.modules['ray'] = None; from search.cli import cli; "
        f"cli(['embed', '--cluster', '--index', {str(sample_index)!r}])"
    )
    done = subprocess.run([sys.executable, "-c", embed], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Ray is not installed: pip install 'govsearch[cluster]'" in done.stderr


def test_the_cluster_options_of_embed_go_with_cluster(sample_index: Path) -> None:
    from click.testing import CliRunner

    from search.cli import cli

    for option in (
        ["--address", "127.0.0.2:6379"],
        ["--node-ip", "127.0.0.2"],
        ["--worker-threads", "2"],
    ):
        result = CliRunner().invoke(cli, ["embed", "--index", str(sample_index), *option])
        assert result.exit_code == 2
        assert "--address, --node-ip and --worker-threads go with --cluster" in result.output


def test_embed_on_a_cluster_that_is_not_there_says_so_at_once(sample_index: Path) -> None:
    if importlib.util.find_spec("ray") is None:
        _missing("Ray is not installed: pip install -e '.[cluster]'")
    with socket.socket() as probe:  # a port of this machine on which nothing listens
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    command = [GOVSEARCH, "embed", "--cluster", "--address", address, "--index", str(sample_index)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    assert f"no Ray cluster to embed on: nothing answers at {address}" in done.stderr


def test_a_node_runs_a_worker_for_every_worker_threads_of_its_cpus() -> None:
    from search.cluster import split_cpus

    assert split_cpus(4, 1) == [1, 1, 1, 1]
    assert split_cpus(4, 2) == [2, 2]
    assert split_cpus(5, 2) == [2, 2, 1]  # no CPU left idle, no worker of more threads
    assert split_cpus(1, 4) == [1]  # a node of fewer CPUs runs one worker of them all
    assert split_cpus(11, 4) == [4, 4, 3]
