"""Encoder vectors kept between trainings: adding a question encodes that question alone, and
the vectors are those the encoder gives."""
from __future__ import annotations

import numpy as np

from bot.components import weight_cache


def test_a_second_training_encodes_only_the_new_texts(tmp_path, monkeypatch):
    monkeypatch.setattr(weight_cache, "CACHE_DIR", tmp_path)
    asked: list[list[str]] = []

    def encode(texts):
        asked.append(list(texts))
        return np.array([[len(t), t.count("a")] for t in texts], dtype=np.float32)

    first = weight_cache.remembered_vectors("enc", ["what band", "a pension"], encode)
    again = weight_cache.remembered_vectors("enc", ["a pension", "home visits", "what band"], encode)
    assert asked == [["what band", "a pension"], ["home visits"]]
    assert np.array_equal(again, encode(["a pension", "home visits", "what band"]))
    assert np.array_equal(first, again[[2, 0]])


def test_an_unreadable_store_means_encoding_everything(tmp_path, monkeypatch):
    monkeypatch.setattr(weight_cache, "CACHE_DIR", tmp_path)
    (tmp_path / "enc-vectors.npz").write_bytes(b"not an archive")
    vectors = weight_cache.remembered_vectors("enc", ["x", "yy"], lambda t: np.ones((len(t), 3)))
    assert vectors.shape == (2, 3)


def test_weights_laid_out_anew_are_not_mapped_from_the_old_layouts_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(weight_cache, "CACHE_DIR", tmp_path / "cache")
    source = tmp_path / "model.zip"
    source.write_bytes(b"weights")
    old = weight_cache.mapped(source, lambda: {"query": np.ones(2)})
    new = weight_cache.mapped(source, lambda: {"qkv": np.ones(6)}, layout="qkv-joined")
    assert set(old) == {"query"} and set(new) == {"qkv"}
    # the same layout again is mapped, not built
    again = weight_cache.mapped(source, lambda: {"built": np.zeros(1)}, layout="qkv-joined")
    assert set(again) == {"qkv"}
