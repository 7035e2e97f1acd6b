"""`govsearch cluster start | join | stop`: a sharded index served on a Ray cluster.

`start` starts a Ray head on this machine (or joins the cluster at `--address`), deploys
each shard as a Ray Serve application of `--replicas` replicas and serves the web search
on `--host:--port` with gunicorn, its searches fanned out to the shards
(`search.cluster.serving.ClusterIndex`). `join` adds this machine to a cluster as a node
for replicas. `stop` stops what `start` started, by the process ids it recorded.

Ray is imported only by these commands' processes (`pip install govsearch[cluster]`).
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from search import config
from search.cli import index_option, port_option
from search.cluster import check_reachable, same_authentication
from search.index.shards import Manifest
from web.server import serve

RAY_PORT = 6379
SHARD_TIMEOUT = 10.0  # seconds a step waits for a shard's replicas (retries included)
STARTED = "Ray runtime started"
READY_SECONDS = 120  # for the head to start
STOP_SECONDS = 60  # for `start` to stop its server and its head
LEFT_SECONDS = 5  # for what a stopped node leaves to stop
# Ray's setting of how long a node given SIGTERM drains (30 s by default). The head is
# stopped only once its replicas are off the cluster, and the cluster ends with it: nothing
# is left there for a drain to finish, so it is 0 for the head unless the operator sets it.
DRAIN_SETTING = "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S"


def ray_command() -> str:
    """The `ray` executable of this environment (installed with the cluster extra)."""
    if importlib.util.find_spec("ray") is None:
        raise click.UsageError("Ray is not installed: pip install 'govsearch[cluster]'")
    beside = Path(sys.executable).with_name("ray")
    return str(beside) if beside.exists() else shutil.which("ray") or "ray"


def state_file(port: int) -> Path:
    """Where `start` on `port` records its process ids for `stop`."""
    return Path(tempfile.gettempdir()) / f"govsearch-cluster-{os.getuid()}-{port}.json"


def node_options(node_ip: str | None, temp_dir: Path | None, head: bool) -> list[str]:
    """A Ray node's options: the address it advertises, no usage reports (and for the head,
    no dashboard)."""
    options = ["--include-dashboard=false"] if head else []
    options.append("--disable-usage-stats")
    if node_ip:
        options += ["--node-ip-address", node_ip]
    if temp_dir:
        options += ["--temp-dir", str(temp_dir)]
    return options


def head_log(ray_port: int) -> Path:
    """What the Ray head `start` runs on `ray_port` prints (kept when it fails to start)."""
    return Path(tempfile.gettempdir()) / f"govsearch-ray-head-{os.getuid()}-{ray_port}.log"


def start_head(
    node_ip: str | None, ray_port: int, temp_dir: Path | None
) -> subprocess.Popen[bytes]:
    """A Ray head in its own process group, blocking until stopped (SIGTERM stops every
    process it started); returns once it runs."""
    log = head_log(ray_port)
    command = [ray_command(), "start", "--head", "--block", "--port", str(ray_port)]
    with log.open("wb") as output:
        head = subprocess.Popen(
            [*command, *node_options(node_ip, temp_dir, head=True)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={DRAIN_SETTING: "0"} | dict(os.environ),
        )
    deadline = time.monotonic() + READY_SECONDS
    while STARTED not in log.read_text("utf-8", errors="replace"):
        if head.poll() is not None or time.monotonic() > deadline:
            stop_process_group(head.pid)
            raise click.ClickException(f"the Ray head did not start: see {log}")
        time.sleep(0.5)
    return head


def stop_process_group(leader: int, leader_first: bool = True) -> None:
    """SIGTERM to `leader` (a Ray node stops the processes it started on it), then, once it
    is gone (or after STOP_SECONDS), SIGTERM and after LEFT_SECONDS SIGKILL to what is left
    of its group: a node's agents outlive it otherwise. Without `leader_first`, SIGTERM to
    the whole group at once, then SIGKILL after LEFT_SECONDS."""
    if leader_first:
        try:
            os.kill(leader, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_SECONDS
        while running(leader) and time.monotonic() < deadline:
            time.sleep(0.2)
    for sig, seconds in ((signal.SIGTERM, LEFT_SECONDS), (signal.SIGKILL, STOP_SECONDS)):
        if not group_running(leader):
            return
        try:
            os.killpg(leader, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + seconds
        while group_running(leader) and time.monotonic() < deadline:
            time.sleep(0.2)


def running_processes() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/PID/stat after its name) of each process that runs (not
    merely waits to be waited for): fields[2] is its group, fields[3] its session."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            if fields[0] not in ("Z", "X"):
                yield int(entry.name), fields


def group_running(leader: int) -> bool:
    """Whether a process of the group `leader` started runs."""
    return any(int(fields[2]) == leader for _pid, fields in running_processes())


def _deploy(  # noqa: PLR0913 - in a process of its own: plain arguments
    index_dir: str, replicas: int, semantic: bool, name: str, nodes: int, address: str, node_ip: str
) -> None:
    from ray import serve

    from search.cluster.serving import connect, deploy_shards, wait_for_nodes

    connect(address, node_ip or None)
    alive = wait_for_nodes(nodes, READY_SECONDS)
    if alive < nodes:
        click.echo(f"govsearch: {alive} of {nodes} nodes joined; replicas go to those", err=True)
    serve.start(proxy_location="Disabled")
    deploy_shards(Path(index_dir), replicas, semantic, name, nodes)


def _undeploy(shards: int, name: str, address: str, node_ip: str) -> None:
    from ray import serve

    from search.cluster.serving import app_name, connect

    connect(address, node_ip or None)
    names = {app_name(name, number) for number in range(shards)}
    for app in names:  # all at once: each takes seconds
        serve.delete(app, _blocking=False)
    deadline = time.monotonic() + STOP_SECONDS
    while names & set(serve.status().applications) and time.monotonic() < deadline:
        time.sleep(0.2)


def in_fresh_process(target: Any, *args: Any) -> None:
    """Run `target` in a new Python process: this one stays unconnected to Ray, so that
    the server's workers it forks connect on their own."""
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    process.join(READY_SECONDS)
    if process.is_alive():  # a cluster that does not answer
        process.kill()
        process.join()
    if process.exitcode != 0:
        raise click.ClickException(f"{target.__name__.strip('_')} failed: see the messages above")


@click.group("cluster")
def cluster_command() -> None:
    """Serve a sharded index on a Ray cluster (pip install 'govsearch[cluster]')."""
    same_authentication()


@cluster_command.command("start")
@index_option
@click.option("--replicas", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--host", default="127.0.0.1", show_default=True)
@port_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 32))
@click.option(
    "--nodes",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Wait for this many nodes (`cluster join`) before placing the replicas.",
)
@click.option("--node-ip", help="The address this machine's Ray node advertises to the others.")
@click.option("--address", help="Join the Ray cluster at ADDR (host:port) instead of starting one.")
@click.option("--ray-port", default=RAY_PORT, show_default=True, type=int, help="The head's port.")
@click.option("--temp-dir", type=click.Path(path_type=Path), help="Ray's files on this machine.")
@click.option(
    "--when-shard-missing",
    type=click.Choice(["partial", "unavailable"]),
    default="partial",
    show_default=True,
    help='Answer without a shard no replica of which answers ("partial": true), or 503.',
)
@click.option("--shard-timeout", default=SHARD_TIMEOUT, show_default=True, type=float)
def start_command(  # noqa: PLR0913 - one argument per option
    index_dir: Path | None,
    replicas: int,
    host: str,
    port: int,
    workers: int,
    nodes: int,
    node_ip: str | None,
    address: str | None,
    ray_port: int,
    temp_dir: Path | None,
    when_shard_missing: str,
    shard_timeout: float,
) -> None:
    """Serve a sharded index's searches from its shards' replicas on a Ray cluster."""
    from search.vectors.model import semantic_on

    index = config.get_path("index", index_dir).resolve()
    manifest = Manifest.read(index)
    if manifest is None:
        raise click.UsageError(f"{index} is not a sharded index: govsearch reindex --shards N")
    head = None
    if address is None:
        head = start_head(node_ip, ray_port, temp_dir)
        address = f"{node_ip or '127.0.0.1'}:{ray_port}"
    record, owner, name = state_file(port), os.getpid(), f"govsearch-{port}"
    record.write_text(json.dumps({"pid": owner, "head": head and head.pid}), "utf-8")
    if head is not None:
        click.echo(f"govsearch: Ray head at {address}: govsearch cluster join --address {address}")
        sys.stdout.flush()
    try:
        shards = (str(index), replicas, semantic_on(), name, nodes)
        in_fresh_process(_deploy, *shards, address, node_ip or "")
        cluster = {
            "address": address,
            "name": name,
            "node_ip": node_ip,
            "partial": when_shard_missing == "partial",
            "timeout": shard_timeout,
        }
        serve(host, port, workers, index, {"CLUSTER": cluster})
    finally:
        # gunicorn's workers are forks of this process: they leave through here too.
        if os.getpid() == owner:
            _stop_cluster(head, (manifest.shards, name), address, node_ip, record)
            if head is not None:
                head_log(ray_port).unlink(missing_ok=True)


def _stop_cluster(
    head: subprocess.Popen[bytes] | None,
    shards: tuple[int, str],
    address: str,
    node_ip: str | None,
    record: Path,
) -> None:
    """Take the shards' replicas off the cluster (on every node), then stop the head if
    `start` started it."""
    try:
        in_fresh_process(_undeploy, *shards, address, node_ip or "")
        if head is not None:
            stop_process_group(head.pid)
            head.wait()
    finally:
        record.unlink(missing_ok=True)


@cluster_command.command("join")
@click.option("--address", required=True, help="The head's address (host:port).")
@click.option("--node-ip", help="The address this machine's Ray node advertises to the others.")
@click.option("--temp-dir", type=click.Path(path_type=Path), help="Ray's files on this machine.")
def join_command(address: str, node_ip: str | None, temp_dir: Path | None) -> None:
    """Add this machine to a cluster as a node for replicas, until stopped (SIGTERM)."""
    command = [ray_command(), "start", "--block", "--address", address]
    # A group of its own, in this command's session: stopped as a group.
    node = subprocess.Popen(
        [*command, *node_options(node_ip, temp_dir, head=False)], process_group=0
    )
    signal.signal(signal.SIGTERM, _leave)
    try:
        node.wait()
    finally:
        # A node drains before it stops, so that its replicas finish what they serve; with
        # the head gone there is no cluster to drain from (Ray would wait 30 s to learn so).
        stop_process_group(node.pid, leader_first=_answers(address))
        node.wait()


def _answers(address: str) -> bool:
    """Whether the head at `address` answers: a node drains only into a live cluster."""
    try:
        check_reachable(address)
    except ConnectionError:
        return False
    return True


def _leave(signum: int, frame: Any) -> None:
    raise SystemExit(0)


@cluster_command.command("stop")
@port_option
def stop_command(port: int) -> None:
    """Stop the server `cluster start --port PORT` runs, and the Ray head it started."""
    record = state_file(port)
    try:
        started = json.loads(record.read_text("utf-8"))
    except FileNotFoundError:
        raise click.ClickException(f"no cluster serves port {port} here") from None
    pid, head = int(started["pid"]), started.get("head")
    _stop(pid)
    if head:  # stopped with its server, unless that died before stopping it
        stop_process_group(int(head))
    record.unlink(missing_ok=True)
    click.echo(f"govsearch: the cluster on port {port} stopped")


def _stop(pid: int) -> None:
    """SIGTERM to `start`'s process, then wait for it: it stops its server and its head."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_SECONDS * 2
    while time.monotonic() < deadline:
        if not running(pid):
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)


def running(pid: int) -> bool:
    """Whether process `pid` runs (an exited process not yet waited for does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False
    return state not in ("Z", "X")
