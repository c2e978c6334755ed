"""The sentence encoder: WordLlama's static token embeddings, averaged and normalised.

The weights (256 dimensions, 32,000 tokens, float16) and the tokenizer ship inside the
`wordllama` wheel, pinned by hash in `requirements-encoder.txt`. That package's own Python code
needs numpy 2 and pydantic 2, which Rasa 3.6 cannot have, so the wheel is installed without its
dependencies and only its two data files are read here, with `safetensors` and `tokenizers`.
Nothing is downloaded, at build or run time. The package is found without importing it."""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"


class EncoderMissing(RuntimeError):
    pass


def package_dir() -> Path:
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise EncoderMissing(
            "the wordllama wheel is not installed: run `make venv` (it installs "
            "requirements-encoder.txt)"
        )
    return Path(list(spec.submodule_search_locations)[0])


class Encoder:
    """Text in, a unit vector out. Lower-cased first: people type in every case, and the
    tokenizer splits "PSO" and "pso" differently."""

    def __init__(self, directory: Path | None = None):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        from bot.components.weight_cache import mapped

        base = directory or package_dir()
        self.table = mapped(
            base / WEIGHTS, lambda: {"table": next(iter(load_file(str(base / WEIGHTS)).values()))}
        )["table"]  # float16
        self.tokenizer = Tokenizer.from_file(str(base / TOKENIZER))
        self.dimensions = int(self.table.shape[1])
        self._lock = threading.Lock()  # a Rust tokenizer is not documented as thread-safe

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encoded = self.tokenizer.encode_batch(
                [t.lower() for t in texts], add_special_tokens=False
            )
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, item in enumerate(encoded):
            if item.ids:
                out[row] = self.table[item.ids].astype(np.float32).mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """One encoder per process, its table mapped from a file every process shares."""
    return Encoder()
