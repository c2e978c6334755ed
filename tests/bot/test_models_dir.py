"""Trained models kept on disk: `make train` leaves the newest few, and the newest is served."""
from __future__ import annotations

import os
import subprocess

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


# -- training only when the inputs changed -------------------------------------------------------
INPUTS = ("config.yml", "domain.yml", "data", "bot/components", "knowledge/facts")


@pytest.fixture
def project(tmp_path):
    """A copy of what a model is trained from."""
    import shutil
    for name in INPUTS:
        source, target = cli.ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    return tmp_path


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_fingerprint_follows_what_the_model_is_trained_from(project):
    same = cli.training_fingerprint(project)
    assert cli.training_fingerprint(project) == same
    # a changed salary is read from the database at answer time: no retraining
    _edit(project / "knowledge/facts/roles-england-wales.yml", "26475", "27000")
    assert cli.training_fingerprint(project) == same
    changes = [("domain.yml", "I've started afresh", "I have started afresh"),     # a response
               ("config.yml", "max_iter: 500", "max_iter: 400"),
               ("bot/components/intent_classifier.py", '"""', '"""Edited. '),
               ("knowledge/facts/roles-england-wales.yml", "      - pso officer\n",
                "      - pso officer\n      - offender supervisor grade three\n")]
    seen = {same}
    for path, old, new in changes:
        _edit(project / path, old, new)
        fingerprint = cli.training_fingerprint(project)
        assert fingerprint not in seen, path
        seen.add(fingerprint)
    (project / "data" / "nlu" / "extra.yml").write_text("version: '3.1'\nnlu: []\n")
    assert cli.training_fingerprint(project) not in seen


@pytest.fixture
def fake_rasa(tmp_path, monkeypatch):
    """`rasa train` stood in for: each call writes a new model, as Rasa 3 does whenever asked."""
    calls = []
    models = tmp_path / "models"
    models.mkdir()

    def rasa(*args, **_kwargs):
        calls.append(args)
        model = models / f"model-{len(calls)}.tar.gz"
        model.write_bytes(b"model")
        os.utime(model, (1_700_000_000 + len(calls),) * 2)
        return subprocess.CompletedProcess(args, 0)

    inputs = {"fingerprint": "a"}
    monkeypatch.setenv("MODELS_DIR", str(models))
    monkeypatch.setattr(cli, "_rasa", rasa)
    monkeypatch.setattr(cli, "training_fingerprint", lambda: inputs["fingerprint"])
    return calls, models, inputs


def test_a_model_is_trained_only_when_its_inputs_changed(fake_rasa):
    calls, models, inputs = fake_rasa
    assert cli.train() == 0 and len(calls) == 1
    assert cli.train() == 0 and len(calls) == 1                 # nothing changed: the same model
    assert cli.latest_model(models).name == "model-1.tar.gz"
    inputs["fingerprint"] = "b"
    assert cli.train() == 0 and len(calls) == 2
    assert cli.latest_model(models).name == "model-2.tar.gz"
    assert cli.train(force=True) == 0 and len(calls) == 3 and "--force" in calls[-1]


def test_a_model_of_unknown_origin_is_retrained(fake_rasa):
    calls, models, _ = fake_rasa
    (models / "copied-in.tar.gz").write_bytes(b"model")       # no record of what it came from
    assert cli.train() == 0 and len(calls) == 1


def test_pruning_takes_a_models_record_with_it(fake_rasa, monkeypatch):
    calls, models, inputs = fake_rasa
    monkeypatch.setenv("KEEP_MODELS", "1")
    cli.train()
    inputs["fingerprint"] = "b"
    cli.train()
    assert sorted(p.name for p in models.iterdir()) == ["model-2.tar.gz", "model-2.tar.gz.inputs"]
