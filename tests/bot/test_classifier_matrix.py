"""The classifier's one-hstack feature matrix is Rasa's matrix, entry for entry."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot import cli
from bot.components.intent_classifier import ArrayLogisticRegressionClassifier


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("matrix"))
    context = ExecutionContext(GraphSchema({}), "t")
    data = load_data(str(cli.ROOT / "data" / "nlu"))
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizers = [
        CountVectorsFeaturizer.create({**CountVectorsFeaturizer.get_default_config(), **cfg},
                                      storage, Resource(f"cv{i}"), context)
        for i, cfg in enumerate([{"min_ngram": 1, "max_ngram": 2},
                                 {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}])]
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
    texts = [m.get("text") for m in data.intent_examples][:300] + ["", "hi", "what about Scotland?"]
    out = [Message.build(text=t) for t in texts]
    tokenizer.process(out)
    for featurizer in featurizers:
        featurizer.process(out)
    return out


def test_the_matrix_is_rasas(messages):
    ours = ArrayLogisticRegressionClassifier._create_X(None, messages)
    theirs = LogisticRegressionClassifier._create_X(None, messages)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype and ours.format == theirs.format
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(ours, name), getattr(theirs, name))
    for message in messages[:50]:
        one, other = (cls._create_X(None, [message])
                      for cls in (ArrayLogisticRegressionClassifier, LogisticRegressionClassifier))
        assert all(np.array_equal(getattr(one, n), getattr(other, n)) for n in ("data", "indices", "indptr"))
