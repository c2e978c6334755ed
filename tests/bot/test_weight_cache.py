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


def test_only_the_newest_few_indexes_are_kept_as_the_bot_is_retrained(tmp_path, monkeypatch):
    monkeypatch.setattr(weight_cache, "CACHE_DIR", tmp_path)
    for n in range(weight_cache.KEEP_LATEST + 3):
        weight_cache.shared("answer-index", {"v": np.full(3, n)})
    kept = sorted(tmp_path.glob("answer-index-*"))
    assert len(kept) == weight_cache.KEEP_LATEST
    # the index just trained is among them and still reads back
    latest = weight_cache.shared("answer-index", {"v": np.full(3, weight_cache.KEEP_LATEST + 2)})
    assert latest["v"][0] == weight_cache.KEEP_LATEST + 2
    # another kind of folder is not touched by an index's pruning
    weights = tmp_path / "w.zip"
    weights.write_bytes(b"x")
    weight_cache.mapped(weights, lambda: {"w": np.ones(1)})
    weight_cache.shared("answer-index", {"v": np.full(3, -1)})
    assert len(list(tmp_path.glob("w-*"))) == 1


def test_a_training_waits_for_the_warmer_instead_of_encoding_the_same_texts_again(
    tmp_path, monkeypatch
):
    import threading
    import time

    monkeypatch.setattr(weight_cache, "CACHE_DIR", tmp_path)
    asked: list[list[str]] = []

    def slow(texts):
        asked.append(list(texts))
        time.sleep(0.3)
        return np.ones((len(texts), 2), dtype=np.float32)

    texts = ["what band", "a pension", "home visits"]
    warmer = threading.Thread(target=weight_cache.remembered_vectors, args=("enc", texts, slow))
    warmer.start()
    time.sleep(0.05)  # the warmer holds the lock and is encoding
    vectors = weight_cache.remembered_vectors("enc", texts, slow)
    warmer.join()
    assert asked == [texts] and vectors.shape == (3, 2)
