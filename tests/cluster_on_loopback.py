"""The cluster's checks, run by tests/test_cluster.py inside a network namespace whose only
interface is loopback (never collected on their own: the file name is not a test module's).

`govsearch cluster`: the sample corpus split into 2 and 3 shards, served by a real
two-node Ray cluster on loopback (the head on 127.0.0.2, a node joined from 127.0.0.3),
against one index of the whole corpus: the same hits in the same order, scores, totals,
facets and passages; a replica killed under load loses no request; a shard without
replicas gives a partial answer (or a 503), said plainly on the pages; `govsearch embed
--cluster` computes on both nodes the vectors one machine computes; `cluster stop` leaves no
process behind.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from search.index.build import full_build
from search.index.embedding import embed_index
from search.index.shards import reindex_shards, shard_of
from search.query.request import SearchRequest
from search.rank.knobs import FEW_HITS
from search.results import SearchResults, run_search
from tests.test_versions import DEEP_LAW, DEEP_PAGE, _write
from web import create_app
from web.cluster import running, running_processes, state_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
IN_NAMESPACE = os.environ.get("GOVSEARCH_LOOPBACK_ONLY") == "1"
HEAD, NODE = "127.0.0.2", "127.0.0.3"
READY_SECONDS = 180
GOVSEARCH = str(Path(sys.executable).with_name("govsearch"))


if not IN_NAMESPACE:  # Ray would listen on every interface of this machine
    pytest.skip("run by tests/test_cluster.py in its namespace", allow_module_level=True)

REQUESTS: list[dict[str, Any]] = [
    {"text": "管理"},  # a keyword on every shard
    {"text": "管理", "collapse": "false"},
    {"text": '"政府信息公开"'},  # a phrase
    {"text": "管理", "agencies": ["县科学技术局", "阳城县财政局"], "year": "2017-2021"},
    {"text": "工作", "topic": "科技创新"},
    {"text": "管理", "sort": "date"},  # by date
    {"text": "工作", "sort": "date_asc", "collapse": "false"},
    {"text": "管理", "page": 2, "size": 5},  # deep pages
    {"text": "", "sort": "date", "page": 3, "size": 3},
    {"text": "如何申请政府信息公开"},  # questions
    {"text": "企业开办需要多长时间办完", "collapse": "false"},
    {"text": "扬尘 施工"},  # every word in one document: other shards must not relax
    {"text": "行攻"},  # a suggestion
    {"text": "yshj"},  # pinyin initials
]
# The same searches through the HTTP API (those its query string says plainly).
API_QUERIES: list[dict[str, Any]] = [
    {"q": "管理"},
    {"q": "管理", "collapse": "false"},
    {"q": '"政府信息公开"'},
    {"q": "管理", "sort": "date"},
    {"q": "管理", "page": 2, "size": 5},
    {"q": "如何申请政府信息公开"},
    {"q": "行攻"},
]


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """One `cluster start`: its index, port, Serve applications' name and process."""

    index_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def name(self) -> str:
        return f"govsearch-{self.port}"

    def get(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = self.fetch(path, params)
        return status, json.loads(body)

    def fetch(self, path: str, params: dict[str, Any]) -> tuple[int, str]:
        query = urllib.parse.urlencode(params)
        url = f"http://127.0.0.1:{self.port}{path}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")


@dataclass
class Cluster:
    address: str
    temp_dirs: list[Path]
    node: subprocess.Popen[bytes]
    served: dict[int, Served] = field(default_factory=dict)  # by shards


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while text not in log.read_text("utf-8", errors="replace"):
        assert process.poll() is None, log.read_text("utf-8", errors="replace")[-5000:]
        assert time.monotonic() < deadline, log.read_text("utf-8", errors="replace")[-5000:]
        time.sleep(0.5)


def _start(arguments: list[str], log: Path, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [GOVSEARCH, *arguments],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The head with the 2-shard index's server (it waits for the node to join before
    placing 2 replicas of each shard), the node, then the 3-shard index's server joined to
    the same cluster."""
    work = tmp_path_factory.mktemp("cluster")
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GOVSEARCH_")
    } | {"GOVSEARCH_CACHE_DIR": str(work / "cache"), "GOVSEARCH_QUERY_LOG": "off"}
    indexes = {}
    for shards in (2, 3):
        indexes[shards] = work / f"index-{shards}"
        reindex_shards(CORPUS, indexes[shards], shards, full=True)
    # Short paths: Ray's sockets live under its temp dir.
    temp_dirs = [Path(tempfile.mkdtemp(prefix="gsray-")) for _ in range(2)]
    ray_port = free_port(HEAD)
    address = f"{HEAD}:{ray_port}"
    ports = {2: free_port("127.0.0.1"), 3: free_port("127.0.0.1")}
    first = ["cluster", "start", "--index", str(indexes[2]), "--replicas", "2", "--nodes", "2"]
    first += ["--port", str(ports[2]), "--node-ip", HEAD, "--ray-port", str(ray_port)]
    first += ["--temp-dir", str(temp_dirs[0]), "--shard-timeout", "5"]
    head = _start(first, work / "start-2.log", environment)
    node = joined = None
    ray_heads: set[int] = set()  # the Ray head's session, for the last resort below
    try:
        _wait_for(work / "start-2.log", "govsearch: Ray head at", head)
        ray_heads.add(json.loads(state_file(ports[2]).read_text("utf-8"))["head"])
        join = ["cluster", "join", "--address", address, "--node-ip", NODE]
        node = _start([*join, "--temp-dir", str(temp_dirs[1])], work / "join.log", environment)
        _wait_for(work / "start-2.log", "govsearch: open", head)
        second = ["cluster", "start", "--index", str(indexes[3]), "--address", address]
        second += ["--port", str(ports[3]), "--node-ip", HEAD, "--shard-timeout", "5"]
        joined = _start(second, work / "start-3.log", environment)
        _wait_for(work / "start-3.log", "govsearch: open", joined)
        found = Cluster(address, temp_dirs, node)
        found.served[2] = Served(indexes[2], ports[2], head, work / "start-2.log")
        found.served[3] = Served(indexes[3], ports[3], joined, work / "start-3.log")
        yield found
    finally:
        for port in (ports[3], ports[2]):  # the head's last
            if state_file(port).exists():
                subprocess.run([GOVSEARCH, "cluster", "stop", "--port", str(port)], env=environment)
        # Whatever a failed test left of what this fixture started: killed by id.
        sessions = {process.pid for process in (head, joined, node) if process is not None}
        for pid in _processes_in(sessions | ray_heads):
            os.kill(pid, signal.SIGKILL)
        for directory in temp_dirs:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def whole(sample_index: Path) -> Iterator[Any]:
    from search.index.live import SearchIndex

    with SearchIndex(sample_index, cache_size=0) as opened:
        yield opened


@pytest.fixture(scope="module")
def on_cluster(cluster: Cluster) -> Iterator[dict[int, Any]]:
    """Each index as a ClusterIndex in this process: its searches run on the cluster's
    replicas through Ray, as the server's do."""
    from search.cluster.serving import ClusterIndex

    opened = {
        shards: ClusterIndex(
            served.index_dir, cluster.address, served.name, node_ip=HEAD, timeout=5, cache_size=0
        )
        for shards, served in cluster.served.items()
    }
    yield opened
    for index in opened.values():
        index.close()


def answer(results: SearchResults) -> dict[str, Any]:
    return results.to_json() | {"took_ms": 0}


@pytest.mark.parametrize("shards", [2, 3])
def test_the_cluster_answers_as_one_index(
    on_cluster: dict[int, Any], whole: Any, shards: int
) -> None:
    for options in REQUESTS:
        request = SearchRequest.create(**options)
        served, alone = run_search(on_cluster[shards], request), run_search(whole, request)
        assert alone.total or alone.suggestion, options
        assert answer(served) == answer(alone), options
        assert [hit.score for hit in served.hits] == pytest.approx(
            [hit.score for hit in alone.hits], abs=1e-6
        ), options


@pytest.mark.parametrize("shards", [2, 3])
def test_the_cluster_serves_the_same_http_api(
    cluster: Cluster, sample_index: Path, shards: int
) -> None:
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "QUERY_LOG": "off"})
    client = app.test_client()
    for params in API_QUERIES:
        status, body = cluster.served[shards].get("/api/search", params)
        alone = client.get("/api/search", query_string=params)
        assert status == alone.status_code == 200
        expected = alone.get_json() | {"took_ms": 0}
        for hit in expected["hits"]:  # the links name the server they came from
            hit.pop("url")
        for hit in body["hits"]:
            hit.pop("url")
        assert body | {"took_ms": 0} == expected, params
    status, _ = cluster.served[shards].get("/healthz", {})
    assert status == 200


def counting_index(index_dir: Path, name: str, address: str) -> Any:
    """A ClusterIndex of the index served as `name` whose `rounds` count, by method, the
    calls to every shard its searches make (the searches themselves run as the server's
    do)."""
    from search.cluster.serving import ClusterIndex, RemoteShards

    class CountingShards(RemoteShards):
        def some(self, shards: Any, method: str, arguments: Any) -> list[Any]:
            self.index.rounds[method] += 1
            return super().some(shards, method, arguments)

    class CountingIndex(ClusterIndex):
        rounds: Counter[str]

        def shard_group(self, missing: Sequence[str] = ()) -> RemoteShards:
            return CountingShards(self, super().shard_group(missing).numbers)

    index = CountingIndex(index_dir, address, name, node_ip=HEAD, cache_size=0)
    index.rounds = Counter()
    return index


def test_a_search_asks_for_spellings_only_for_letters_or_a_rare_words_sound(
    cluster: Cluster,
) -> None:
    served = cluster.served[2]
    index = counting_index(served.index_dir, served.name, cluster.address)
    try:
        run_search(index, SearchRequest.create(text="管理"))  # the tables, read once
        # Few full matches: the term the letters spell is asked for, and for did-you-mean,
        # the term of the rare word's sound (行攻: xinggong); a search that found enough
        # asks nothing.
        assert run_search(index, SearchRequest.create(text="行攻")).full_matches < FEW_HITS
        for text, spelled in (("管理", 0), ("行攻", 1), ("yshj", 1)):
            index.rounds.clear()
            run_search(index, SearchRequest.create(text=text))
            assert index.rounds["spelled"] == spelled, (text, index.rounds)
    finally:
        index.close()


def test_a_first_page_needs_no_call_for_its_passages(cluster: Cluster) -> None:
    served = cluster.served[2]
    index = counting_index(served.index_dir, served.name, cluster.address)
    try:
        run_search(index, SearchRequest.create(text="管理"))  # the tables, read once
        index.rounds.clear()
        assert run_search(index, SearchRequest.create(text="管理")).hits
        assert index.rounds == Counter({"statistics": 1, "search": 1})
        # A later page's hits depend on every shard's: asked once they are known.
        index.rounds.clear()
        assert run_search(index, SearchRequest.create(text="管理", page=2, size=5)).hits
        assert index.rounds == Counter({"statistics": 1, "search": 1, "hits": 1})
    finally:
        index.close()


def test_no_shard_is_asked_for_candidates_by_meaning_that_meaning_would_not_rank(
    cluster: Cluster,
) -> None:
    served = cluster.served[2]
    index = counting_index(served.index_dir, served.name, cluster.address)
    try:
        run_search(index, SearchRequest.create(text="管理"))  # the tables, read once
        # A keyword search, and a question on shards whose sections have no vectors.
        for text in ("管理", "如何申请政府信息公开"):
            index.rounds.clear()
            run_search(index, SearchRequest.create(text=text))
            assert index.rounds["candidates"] == 0, (text, index.rounds)
    finally:
        index.close()


def test_a_law_shows_its_version_chosen_among_every_match(cluster: Cluster, tmp_path: Path) -> None:
    """A law whose newer version matches beyond the shards' first answers, deployed in 2
    shards: the hit shows the version one index shows, with one more call to the shards
    when a preferred version is missing from their answers, and none otherwise."""
    from ray import serve

    from search.cluster.serving import app_name, deploy_shards
    from search.index.live import SearchIndex

    corpus, whole_dir, index_dir = tmp_path / "corpus", tmp_path / "one", tmp_path / "shards"
    corpus.mkdir()
    for name, law in DEEP_LAW.items():
        _write(corpus, name, *law)
    assert not full_build(corpus, whole_dir, procs=1).failed
    reindex_shards(corpus, index_dir, 2, full=True)
    name = "govsearch-versions"
    index = counting_index(index_dir, name, cluster.address)  # connected to the cluster
    deploy_shards(index_dir, 1, False, name)
    try:
        with SearchIndex(whole_dir, cache_size=0) as whole_index:
            for text, more_calls in (("渔业捕捞", 1), ("渔业捕捞 2015年", 0), ("电鱼炸鱼", 1)):
                request = SearchRequest.create(text, size=DEEP_PAGE)
                index.rounds.clear()
                served, alone = run_search(index, request), run_search(whole_index, request)
                assert answer(served) == answer(alone), text
                assert index.rounds["matching"] == more_calls, (text, index.rounds)
                assert served.hits[0].doc_id == ("fish-2024" if text == "渔业捕捞" else "fish-2015")
    finally:
        index.close()
        for number in (0, 1):
            serve.delete(app_name(name, number))


def _replicas(name: str) -> list[int]:
    """The processes of the Serve replicas of the applications named after `name`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if f"ServeReplica:{name}" in title:
                found.append(int(entry.name))
    return found


def _node_of(pid: int) -> str:
    """The address of the Ray node a worker process runs on (its raylet's)."""
    parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    arguments = Path(f"/proc/{parent}/cmdline").read_bytes().split(b"\0")
    for argument in arguments:
        if argument.startswith(b"--node_ip_address="):
            return argument.split(b"=", 1)[1].decode()
    return ""


def test_replicas_spread_over_both_nodes_and_listen_on_loopback_alone(cluster: Cluster) -> None:
    name = f"{cluster.served[2].name}-shard-00"
    replicas = _replicas(name)
    assert len(replicas) == 2
    assert {_node_of(pid) for pid in replicas} == {HEAD, NODE}
    interfaces = [line.split(":")[0].strip() for line in _lines("/proc/net/dev")[2:]]
    assert interfaces == ["lo"]
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in _lines(table)[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A":  # listening
                assert _loopback_or_any(local.split(":")[0]), line


def _lines(path: str) -> list[str]:
    return Path(path).read_text().splitlines()


def _loopback_or_any(hexadecimal: str) -> bool:
    """Whether an address of /proc/net/tcp{,6} (32-bit words, little-endian) is loopback,
    or every address (in this namespace: loopback alone)."""
    raw = b"".join(
        bytes.fromhex(hexadecimal[start : start + 8])[::-1]
        for start in range(0, len(hexadecimal), 8)
    )
    address = ipaddress.ip_address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def test_a_replica_killed_under_load_loses_no_request(cluster: Cluster) -> None:
    served = cluster.served[2]
    expected = served.get("/api/search", {"q": "管理", "size": 5})[1] | {"took_ms": 0}
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def load() -> None:
        for _ in range(12):
            found = served.get("/api/search", {"q": "管理", "size": 5})
            with lock:
                answers.append(found)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    while len(answers) < 6:
        time.sleep(0.05)
    victim = _replicas(f"{served.name}-shard-00")[0]
    os.kill(victim, signal.SIGKILL)
    for thread in threads:
        thread.join()
    assert len(answers) == 48
    assert [status for status, _ in answers] == [200] * 48
    assert all(body | {"took_ms": 0} == expected for _, body in answers)


def test_a_shard_without_replicas_gives_a_partial_answer_or_503(
    cluster: Cluster, on_cluster: dict[int, Any], sample_index: Path
) -> None:
    from ray import serve

    served = cluster.served[3]
    complete = served.get("/api/search", {"q": "管理", "collapse": "false"})[1]
    serve.delete(f"{served.name}-shard-01")
    status, body = served.get("/api/search", {"q": "管理", "collapse": "false"})
    assert status == 200
    assert body["partial"] is True and body["missing_shards"] == ["shard-01"]
    assert 0 < body["total"] < complete["total"]
    assert all(shard_of(hit["doc_id"], 3) != 1 for hit in body["hits"])
    _, spec = served.get("/api/openapi.json", {})
    Draft202012Validator({**spec, "$ref": "#/components/schemas/SearchResponse"}).validate(body)
    for page in ("/search", "/embed"):  # the results page, the widget's page
        status, html = served.fetch(page, {"q": "管理"})
        assert status == 200
        notice = re.search(r'<p class="partial-notice" role="status">(.*?)</p>', html)
        assert notice, page
        assert "部分分库暂未响应，结果可能不完整" in notice.group(1)
        assert "<small>未响应的分库：shard-01</small>" in notice.group(1)
    app = create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(served.index_dir),
            "QUERY_LOG": "off",
            "CLUSTER": {
                "address": cluster.address,
                "name": served.name,
                "node_ip": HEAD,
                "partial": False,
                "timeout": 2,
            },
        }
    )
    refused = app.test_client().get("/api/search", query_string={"q": "管理"})
    assert refused.status_code == 503 and refused.get_json()["ok"] is False


# Four short documents, on both shards of two: each shard's sections spread over both nodes.
FEW_DOCUMENTS = (
    "2016_yangcheng_training_rules.txt",
    "2017_yangcheng_keji_summary.txt",
    "2020_yangcheng_budget_execution.txt",
    "2021_yangcheng_business_environment.txt",
)


def _vector_files(index_dir: Path) -> dict[str, Any]:
    """Each file of the vectors of every shard of `index_dir`, by its path in the index: an
    array for the keys and vectors, the text of the others."""
    found: dict[str, Any] = {}
    for path in sorted(index_dir.glob("shard-*/vectors/*/*")):
        name = str(path.relative_to(index_dir))
        found[name] = np.load(path) if path.suffix == ".npy" else path.read_text("utf-8")
    return found


def test_embed_on_the_cluster_stores_what_embed_stores(cluster: Cluster, tmp_path: Path) -> None:
    from search.cluster.serving import connect

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in FEW_DOCUMENTS:
        shutil.copy(CORPUS / "samples" / name, corpus / name)
    on_cluster, here = tmp_path / "on-cluster", tmp_path / "here"
    for index_dir in (on_cluster, here):
        reindex_shards(corpus, index_dir, 2, full=True)
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GOVSEARCH_")
    }
    command = [GOVSEARCH, "embed", "--cluster", "--address", cluster.address]
    command += ["--node-ip", HEAD, "--index", str(on_cluster)]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    # Each node says which it is with the vectors it computed, and its workers: one a CPU
    # (the default of --worker-threads, 1).
    summary = re.search(
        rf"^embedded on 2 nodes: {re.escape(HEAD)} \d+ sections? \((\d+) workers?\), "
        rf"{re.escape(NODE)} \d+ sections? \((\d+) workers?\)$",
        done.stdout,
        re.MULTILINE,
    )
    assert summary, done.stdout
    connect(cluster.address, HEAD)
    cpus = {n["NodeManagerAddress"]: int(n["Resources"]["CPU"]) for n in _live_nodes()}
    assert [int(summary[1]), int(summary[2])] == [cpus[HEAD], cpus[NODE]]
    for directory in sorted(here.glob("shard-*")):
        embed_index(directory)
    expected, found = _vector_files(here), _vector_files(on_cluster)
    assert sorted(found) == sorted(expected) and any(".vecs." in name for name in found)
    for name, content in expected.items():
        if ".vecs." in name:
            assert np.allclose(found[name], content, atol=1e-3), name
        elif ".keys." in name:
            assert np.array_equal(found[name], content), name
        else:
            assert found[name] == content, name
    again = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count(" 0 embedded now") == 2, again.stdout
    assert "embedded on" not in again.stdout


def test_embed_on_the_cluster_leaves_a_lost_workers_batches_to_the_others(
    cluster: Cluster,
) -> None:
    import ray

    from search.cluster.embedding import ClusterEmbedder
    from search.vectors.model import embed_texts

    texts = [f"第{number}条 行政机关应当主动公开本行政机关的政府信息" for number in range(200)]
    embedder = ClusterEmbedder(cluster.address, HEAD)
    victims: list[Any] = []

    def lose_a_worker(_: int) -> None:
        # When the first batch comes back, the other workers still compute one they were sent.
        if not victims:
            victims.append(embedder.workers[-1])
            ray.kill(victims[0], no_restart=True)

    try:
        vectors = embedder(texts, lose_a_worker)
        # A worker of one engine thread for each CPU a node gives Ray.
        cpus = {n["NodeManagerAddress"]: int(n["Resources"]["CPU"]) for n in _live_nodes()}
        assert Counter(embedder.node_of.values()) == cpus and len(cpus) == 2
        assert victims[0] not in embedder.workers
        # The node is named, with what Ray said of its worker.
        assert list(embedder.lost) == [embedder.node_of[victims[0]]]
        assert embedder.lost[embedder.node_of[victims[0]]]
        assert sum(embedder.by_node.values()) == len(texts)
        assert np.allclose(vectors, embed_texts(texts), atol=1e-3)
    finally:
        for worker in embedder.workers:
            ray.kill(worker, no_restart=True)


def _live_nodes() -> list[dict[str, Any]]:
    import ray

    return [node for node in ray.nodes() if node["Alive"]]


def test_embed_on_the_cluster_with_workers_of_two_threads_runs_one_for_two_cpus(
    cluster: Cluster,
) -> None:
    import ray

    from search.cluster import split_cpus
    from search.cluster.embedding import ClusterEmbedder
    from search.vectors.model import embed_texts

    texts = [f"第{number}条 行政机关应当依法履行政府信息公开职责" for number in range(40)]
    embedder = ClusterEmbedder(cluster.address, HEAD, worker_threads=2)
    try:
        vectors = embedder(texts, lambda _: None)
        by_node = {
            n["NodeManagerAddress"]: len(split_cpus(int(n["Resources"]["CPU"]), 2))
            for n in _live_nodes()
        }
        assert Counter(embedder.node_of.values()) == by_node
        assert np.allclose(vectors, embed_texts(texts), atol=1e-3)
    finally:
        for worker in embedder.workers:
            ray.kill(worker, no_restart=True)


def _processes_in(sessions: set[int]) -> list[int]:
    """The running processes of these sessions."""
    return [pid for pid, fields in running_processes() if int(fields[3]) in sessions]


def test_cluster_stop_leaves_no_process_behind(cluster: Cluster) -> None:
    import ray

    ray.shutdown()  # a process still connected when the head stops is ended by Ray
    sessions = set()
    for served in cluster.served.values():
        started = json.loads(state_file(served.port).read_text("utf-8"))
        sessions |= {started["pid"], *([started["head"]] if started["head"] else [])}
    replicas = [pid for served in cluster.served.values() for pid in _replicas(served.name)]
    assert _processes_in(sessions) and replicas
    # The head stops without Ray's drain: its replicas are gone first, the cluster with it.
    head = json.loads(state_file(cluster.served[2].port).read_text("utf-8"))["head"]
    environment = Path(f"/proc/{head}/environ").read_bytes().split(b"\0")
    assert b"RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S=0" in environment
    for shards in (3, 2):  # the head's last
        served = cluster.served[shards]
        stopped = subprocess.run(
            [GOVSEARCH, "cluster", "stop", "--port", str(served.port)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert served.process.wait(timeout=60) == 0
        assert not state_file(served.port).exists()
    assert _described(_processes_in(sessions)) == []
    # The node this test joined stops when told, with every process it started (and a
    # node whose head is gone stops by itself within a minute): at once, its head gone,
    # not after Ray's 30 s of trying to drain it.
    cluster.node.terminate()
    assert cluster.node.wait(timeout=25) is not None
    deadline = time.monotonic() + 60  # its workers see their node go, and go
    while _processes_in({cluster.node.pid}) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _described(_processes_in({cluster.node.pid})) == []
    assert _described([pid for pid in replicas if running(pid)]) == []


def _described(pids: list[int]) -> list[str]:
    """What each process runs (for a failure's message)."""
    found = []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        found.append(f"{pid} {command[:200]!r}")
    return found
