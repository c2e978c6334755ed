"""Trained models kept on disk: `make train` leaves the newest few, and the newest is served."""
from __future__ import annotations

import os

import pytest

from bot import cli, settings


def _models(folder, count):
    paths = []
    for age, name in enumerate(f"2026112{n}-120000-model-{n}.tar.gz" for n in range(count)):
        path = folder / name
        path.write_bytes(b"model")
        os.utime(path, (1_700_000_000 + age, 1_700_000_000 + age))   # oldest first
        paths.append(path)
    return paths


def test_training_keeps_the_newest_models_and_serves_the_newest(tmp_path):
    paths = _models(tmp_path, 6)
    (tmp_path / "notes.txt").write_text("not a model")
    removed = cli.prune_models(tmp_path, keep=3)
    assert sorted(removed) == sorted(paths[:3])
    assert sorted(tmp_path.glob("*.tar.gz")) == sorted(paths[3:])
    assert (tmp_path / "notes.txt").exists()
    assert cli.latest_model(tmp_path) == paths[-1]


def test_fewer_models_than_kept_are_all_left(tmp_path):
    paths = _models(tmp_path, 2)
    assert cli.prune_models(tmp_path, keep=3) == []
    assert sorted(tmp_path.glob("*.tar.gz")) == sorted(paths)


@pytest.mark.parametrize("value", ["0", "-1", "three"])
def test_a_keep_models_setting_that_would_delete_every_model_or_is_not_a_number_is_refused(monkeypatch, value):
    monkeypatch.setenv("KEEP_MODELS", value)
    with pytest.raises(SystemExit, match="KEEP_MODELS must be"):
        settings.load()


def test_keep_models_defaults_to_three(monkeypatch):
    monkeypatch.delenv("KEEP_MODELS", raising=False)
    assert settings.load().keep_models == 3
