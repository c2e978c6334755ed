"""bot/rasa_patches/lean_imports.py: which modules it keeps out, what their stand-ins do, and when it
declines to act. The hook changes how a process imports, so each case runs in a fresh one."""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from bot import cli
from bot.rasa_patches.lean_imports import classes_needing_heavy, heavy_definitions, model_to_serve, served_classes

SHIPPED = ["bot.components.intent_classifier.ArrayLogisticRegressionClassifier",
           "bot.components.knowledge_entities.KnowledgeEntityExtractor",
           "rasa.core.policies.rule_policy.RulePolicy",
           "rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer.CountVectorsFeaturizer"]


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cli.ROOT,
                          env=cli._env(), capture_output=True, text=True, timeout=300)


def model(tmp_path: Path, classes: list[str]) -> Path:
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"predict_schema": {"nodes": {
        str(i): {"uses": c} for i, c in enumerate(classes)}}}))
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(metadata, arcname="metadata.json")
    return archive


def test_only_top_level_imports_make_a_module_heavy():
    assert heavy_definitions("import tensorflow as tf\nclass A: pass\ndef f(): pass\nX = 1\n") \
        == {"A", "f"}
    assert heavy_definitions("from matplotlib import pyplot\n") == frozenset()
    for lazy in ("def f():\n    import tensorflow\n",
                 "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tensorflow\n",
                 "try:\n    import tensorflow\nexcept ImportError:\n    pass\n",
                 "import tensorflowish\n", "import numpy  # tensorflow\n"):
        assert heavy_definitions(lazy) is None, lazy


def test_the_shipped_components_need_nothing_heavy_and_rasas_tf_ones_do():
    assert classes_needing_heavy(SHIPPED) == []
    tf = ["rasa.nlu.classifiers.diet_classifier.DIETClassifier",
          "rasa.core.policies.ted_policy.TEDPolicy"]
    assert classes_needing_heavy(SHIPPED + tf + ["no.such.module.Thing"]) \
        == tf + ["no.such.module.Thing"]


def test_the_served_classes_come_from_the_model_metadata(tmp_path):
    assert served_classes(str(model(tmp_path, SHIPPED))) == sorted(SHIPPED)
    (tmp_path / "broken.tar.gz").write_bytes(b"not a tarball")
    assert served_classes(str(tmp_path / "broken.tar.gz")) is None


def test_only_rasa_run_of_a_local_model_is_considered(tmp_path):
    archive = str(model(tmp_path, SHIPPED))
    assert model_to_serve(["run", "--model", archive, "--port", "5005"]) == archive
    assert model_to_serve(["run", "-m", str(tmp_path)]) == archive     # latest in a directory
    assert model_to_serve(["train", "--out", str(tmp_path)]) is None
    assert model_to_serve(["test", "--model", archive]) is None
    assert model_to_serve(["run", "actions"]) is None
    assert model_to_serve(["run", "--model", archive, "--remote-storage", "aws"]) is None


def test_a_tf_free_model_is_served_without_tensorflow_and_tf_code_fails_loudly(tmp_path):
    result = run(f"""
        import sys
        from bot.rasa_patches import lean_imports
        assert lean_imports.keep_out_if_unused(["run", "--model", {str(model(tmp_path, SHIPPED))!r}])
        import rasa.core.agent, rasa.engine.recipes.default_components, rasa.core.test
        from rasa.nlu.classifiers.diet_classifier import DIETClassifier
        from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
        heavy = [m for m in sys.modules if m.split(".")[0] in lean_imports.HEAVY]
        assert heavy == [], heavy
        assert not issubclass(LogisticRegressionClassifier, DIETClassifier)
        assert not isinstance(object(), DIETClassifier)
        assert DIETClassifier.__name__ == "DIETClassifier"
        for use in (lambda: DIETClassifier({{}}), lambda: DIETClassifier.load,
                    lambda: type("Mine", (DIETClassifier,), {{}})):
            try:
                use()
            except lean_imports.NeedsTensorFlow as e:
                assert "bot/rasa_patches/lean_imports.py" in str(e)
            else:
                raise AssertionError("a TensorFlow stand-in was usable")
        try:
            import tensorflow
        except ModuleNotFoundError as e:
            assert "bot/rasa_patches/lean_imports.py" in str(e)
        else:
            raise AssertionError("tensorflow imported")
        try:
            from rasa.utils.tensorflow.types import BatchData    # an alias, not a class
        except ImportError as e:
            assert "is not available" in str(e)
        else:
            raise AssertionError("a non-class name of a stood-in module imported")
        import spacy                                             # TensorFlow optional for thinc
        print("ok")
    """)
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]


@pytest.mark.parametrize("argv", [["run", "--model", "{tf_model}"], ["train"], ["test"]])
def test_otherwise_rasa_imports_tensorflow_as_usual(tmp_path, argv):
    tf_model = str(model(tmp_path, SHIPPED + ["rasa.core.policies.ted_policy.TEDPolicy"]))
    argv = [a.format(tf_model=tf_model) for a in argv]
    result = run(f"""
        import sys
        from bot.rasa_patches import lean_imports
        assert not lean_imports.keep_out_if_unused({argv!r})
        assert not lean_imports.installed()
        from rasa.core.policies.ted_policy import TEDPolicy
        assert "tensorflow" in sys.modules and isinstance(TEDPolicy, type)
        assert type(TEDPolicy) is not lean_imports._Absent
        print("ok")
    """)
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_installing_after_tensorflow_was_imported_is_refused():
    result = run("""
        import tensorflow
        from bot.rasa_patches import lean_imports
        try:
            lean_imports.install()
        except RuntimeError as e:
            assert "already imported" in str(e)
            print("ok")
    """)
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]
